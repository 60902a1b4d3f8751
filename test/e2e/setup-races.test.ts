import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, readState, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let marks: string;
let go: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  marks = path.join(sb.dir, 'marks');
  fs.mkdirSync(marks);
  go = path.join(sb.dir, 'go');
  // Each set-up says it started, then waits for the test to let it finish (no timing involved).
  writeConfig(
    sb,
    `default_agent = "shell"\nmax_parallel = 2\nsetup_commands = ["touch ${marks}/$FLEET_BRANCH; while [ ! -e ${go} ]; do sleep 0.05; done"]\n`,
  );
});
afterEach(async () => {
  fs.writeFileSync(go, '');
  await sb.cleanup();
});

const hasSession = async (name: string) => (await sb.tmux('has-session', '-t', `=${name}`)).exitCode === 0;
const worktree = (b: string) => path.join(sb.fleetHome, 'worktrees', 'repo', b);

/** Start `fleet fanout 2 b` and wait until both agents are in their set-up. (Wrapped: a process is a thenable, and returning it would wait for its end.) */
async function fanoutInSetup() {
  const fanout = execa(process.execPath, [CLI, 'fanout', '2', 'b', '-p', 'sleep 60'], { cwd: repo, env: sb.env, extendEnv: false, reject: false });
  await waitFor(() => fs.existsSync(path.join(marks, 'b-1')) && fs.existsSync(path.join(marks, 'b-2')), { what: 'both set-ups to start' });
  return { fanout };
}

describe('kill and prune while a fanout is setting agents up', () => {
  it('kill refuses an agent still being set up, naming the fleet doing it; the fanout then finishes it', async () => {
    const { fanout } = await fanoutInSetup();
    const k = await fleet(sb, ['kill', 'b-1', '--force'], { cwd: repo });
    expect(k.exitCode).toBe(1);
    expect(k.stderr).toBe(
      `error: "b-1" is still being set up by fleet (pid ${fanout.pid}); left it alone\n` +
        `hint: wait until fleet list shows it running, then fleet kill b-1; or stop that fleet (Ctrl+C, or kill -INT ${fanout.pid}) to roll it back`,
    );
    expect(fs.existsSync(worktree('b-1'))).toBe(true);

    fs.writeFileSync(go, '');
    const r = await fanout;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readState(sb).agents.map((a) => [a.branch, a.phase])).toEqual([['b-1', 'ready'], ['b-2', 'ready']]);
    for (const b of ['b-1', 'b-2']) {
      expect(await hasSession(`fleet_repo_${b}`)).toBe(true);
      expect(fs.existsSync(worktree(b))).toBe(true);
    }
    // Once it is ready, kill works.
    expect((await fleet(sb, ['kill', 'b-1'], { cwd: repo })).exitCode).toBe(0);
  });

  it('prune leaves agents being set up alone', async () => {
    const { fanout } = await fanoutInSetup();
    const p = await fleet(sb, ['prune', '--yes'], { cwd: repo });
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout).toBe('nothing to prune');
    fs.writeFileSync(go, '');
    expect((await fanout).exitCode).toBe(0);
    expect(await hasSession('fleet_repo_b-1')).toBe(true);
  });

  it('an agent whose record was removed during its set-up is rolled back and reported, never left running without one', async () => {
    const { fanout } = await fanoutInSetup();
    // What an older fleet's kill did: the claim goes while the set-up runs.
    const file = path.join(sb.fleetHome, 'state.json');
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { agents: { branch: string }[] };
    state.agents = state.agents.filter((a) => a.branch !== 'b-1');
    fs.writeFileSync(`${file}.edit`, JSON.stringify(state));
    fs.renameSync(`${file}.edit`, file);

    fs.writeFileSync(go, '');
    const r = await fanout;
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/"b-1" was removed while it was being set up; rolled back what was made for it/);
    expect(r.stdout + r.stderr).not.toMatch(/b-1\s+ready/);
    expect(await hasSession('fleet_repo_b-1')).toBe(false);
    expect(fs.existsSync(worktree('b-1'))).toBe(false);
    expect(readState(sb).agents.map((a) => a.branch)).toEqual(['b-2']);
    expect(await hasSession('fleet_repo_b-2')).toBe(true);
  });
});
