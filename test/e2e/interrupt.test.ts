import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, makeSandbox, readState, standIn, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let marks: string;
let marker: string;

/** The first agent sets up at once; the others sit in a 30 s setup until they are interrupted. */
function configure(setupPrefix = '') {
  const agent = standIn(sb, 'rec', 'exec sleep 300');
  const setup = `${setupPrefix}touch "${marks}/$FLEET_BRANCH"; if [ "$FLEET_BRANCH" != cmp-1 ]; then sh -c 'sleep 30 & wait' ${marker}; fi; true`;
  writeConfig(sb, `default_agent = "rec"\nmax_parallel = 2\nsetup_commands = [${JSON.stringify(setup)}]\n[agents.rec]\ncommand = "${agent}"\n`);
}

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  marks = path.join(sb.dir, 'marks');
  fs.mkdirSync(marks);
  // Seen by pgrep -f: a grandchild of fleet's setup shell, which only a kill of the whole group reaches.
  marker = `fleet-setup-${path.basename(sb.dir)}`;
  configure();
});
afterEach(async () => {
  await sb.cleanup();
});

/** A fanout of 5 in its own process group (as a terminal runs it), once cmp-1 runs and cmp-2/cmp-3 are in setup. */
async function fanoutInSetup() {
  const child = execa(process.execPath, [CLI, 'fanout', '5', 'cmp', '-p', 'go'], {
    cwd: repo, env: sb.env, extendEnv: false, reject: false, detached: true,
  });
  const ready = waitFor(
    () => fs.existsSync(path.join(marks, 'cmp-2')) && fs.existsSync(path.join(marks, 'cmp-3')) && readState(sb).agents.some((a) => a.branch === 'cmp-1' && a.phase === 'ready'),
    { what: 'cmp-1 ready and cmp-2, cmp-3 in setup', timeout: 20_000 },
  );
  const ended = child.then((r) => {
    throw new Error(`fanout ended early (exit ${r.exitCode}): ${r.stderr}`);
  });
  await Promise.race([ready, ended]);
  ended.catch(() => undefined);
  // Wrapped: an async function returning the subprocess (a thenable) would wait for it to end.
  return { child };
}

/** The world after: every record has its session and worktree, and nothing fleet made lacks a record. */
async function expectConsistent(kept: string[]) {
  const records = readState(sb).agents as Array<{ branch: string; session: string; worktree: string; phase: string }>;
  expect(records.map((r) => r.branch).sort()).toEqual(kept);
  const sessions = (await sb.tmux('list-sessions', '-F', '#{session_name}')).stdout.split('\n').filter(Boolean).sort();
  expect(sessions).toEqual(kept.map((b) => `fleet_repo_${b}`));
  const worktrees = (await sb.git(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9));
  expect(worktrees.slice(1).sort()).toEqual(records.map((r) => r.worktree).sort()); // no stray worktree
  for (const r of records) {
    expect(r.phase).toBe('ready');
    expect(fs.existsSync(r.worktree)).toBe(true);
  }
  // No directory under worktree_root without a record, no branch fleet made without an agent.
  expect(fs.readdirSync(path.join(sb.fleetHome, 'worktrees', 'repo')).sort()).toEqual(kept);
  expect((await sb.git(repo, 'branch', '--format=%(refname:short)')).split('\n').filter((b) => b !== 'main').sort()).toEqual(kept);
  // The setup commands died with their children.
  const left = await execa('pgrep', ['-f', marker], { reject: false });
  expect(left.stdout).toBe('');
}

describe('interrupting a fanout', () => {
  it('Ctrl+C (SIGINT to the process group): keeps the finished, rolls back the half-made, starts no more, exit 130', async () => {
    const { child } = await fanoutInSetup();
    process.kill(-child.pid!, 'SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(/^error: interrupted: 1 of 5 agents kept \(cmp-1\); 2 half-made rolled back \(cmp-2, cmp-3\); 2 not started \(cmp-4, cmp-5\)$/m);
    expect(r.stderr).toMatch(/^cmp-2: interrupted, rolled back$/m);
    expect(r.stdout).toMatch(/^batch cmp: 1 of 5 agents started$/m);
    await expectConsistent(['cmp-1']);
    expect(fs.existsSync(path.join(marks, 'cmp-4'))).toBe(false); // never started
  });

  it('a second Ctrl+C during the rollback does not stop it', async () => {
    // A setup shell that takes a second to die, so the second press surely lands mid-rollback.
    configure(`trap "sleep 1" TERM; `);
    const { child } = await fanoutInSetup();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    process.kill(-child.pid!, 'SIGINT');
    await waitFor(() => stderr.includes('rolling back the half-made ones'), { what: 'the first Ctrl+C to be noticed' });
    process.kill(-child.pid!, 'SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(/still cleaning up; please wait/);
    await expectConsistent(['cmp-1']);
  });

  it('SIGTERM to fleet alone does the same', async () => {
    const { child } = await fanoutInSetup();
    process.kill(child.pid!, 'SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(/^error: interrupted: 1 of 5 agents kept \(cmp-1\)/m);
    await expectConsistent(['cmp-1']);
  });
});
