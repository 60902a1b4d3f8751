import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, makeSandbox, readState, standIn, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

// fleet runs under `taskset -c 0`: node then sees one CPU, so a batch checks out one worktree at
// a time whatever machine the tests run on. Each checkout is seen from a post-checkout hook,
// which `git worktree add` runs before it returns (the checkout slot is still held); each
// setup command from the script it runs. No timings are asserted: only what overlapped.

let sb: Sandbox;
let repo: string;
let marks: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  marks = path.join(sb.dir, 'marks');
  fs.mkdirSync(marks);
  const agent = standIn(sb, 'rec', 'exec sleep 300');
  writeConfig(sb, `default_agent = "rec"\nmax_parallel = 3\n[agents.rec]\ncommand = "${agent}"\n`);
});
afterEach(async () => {
  await sb.cleanup();
});

function hook(body: string) {
  const file = path.join(repo, '.git', 'hooks', 'post-checkout');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\nb=$(basename "$PWD")\nlog="${marks}/log"\n${body}\n`, { mode: 0o755 });
}

function fanoutOnOneCpu(count: number, opts: { detached?: boolean; quick?: boolean } = {}) {
  const { quick = true, ...rest } = opts;
  return execa('taskset', ['-c', '0', process.execPath, CLI, 'fanout', String(count), 'cmp', ...(quick ? ['--quick'] : []), '-p', 'go'], {
    cwd: repo, env: sb.env, extendEnv: false, reject: false, timeout: 60_000, ...rest,
  });
}

/** Most lines "start x" seen before their "end x" at one time in a log of starts and ends. */
function mostAtOnce(log: string[]): number {
  let running = 0;
  let most = 0;
  for (const line of log) most = Math.max(most, (running += line.startsWith('start ') ? 1 : -1));
  return most;
}

describe('checkouts of a batch on one CPU', () => {
  it('run one at a time while max_parallel agents run their setup_commands, and every agent is made', async () => {
    // The first checkout waits (up to 2 s) for another checkout to begin beside it: none may.
    hook(
      `echo "start $b" >> "$log"\n` +
        `if [ "$(grep -c start "$log")" = 1 ]; then i=0; while [ $i -lt 40 ] && [ "$(grep -c start "$log")" = 1 ]; do sleep 0.05; i=$((i+1)); done; fi\n` +
        `echo "end $b" >> "$log"`,
    );
    // Each setup command waits (up to 15 s) until three have begun: max_parallel = 3 of them run
    // at once, each beside the next agent's checkout, though checkouts go one at a time.
    const setups = path.join(marks, 'setups');
    const setup = path.join(sb.dir, 'setup.sh');
    fs.writeFileSync(
      setup,
      `echo "start $FLEET_BRANCH" >> "${setups}"\n` +
        `i=0; while [ $i -lt 300 ] && [ "$(grep -c start "${setups}")" -lt 3 ]; do sleep 0.05; i=$((i+1)); done\n` +
        `echo "end $FLEET_BRANCH" >> "${setups}"\n`,
    );
    const agent = standIn(sb, 'rec', 'exec sleep 300');
    writeConfig(sb, `default_agent = "rec"\nmax_parallel = 3\nsetup_commands = ["sh '${setup}'"]\n[agents.rec]\ncommand = "${agent}"\n`);
    const r = await fanoutOnOneCpu(4, { quick: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('batch cmp: 4 agents started');
    const log = fs.readFileSync(path.join(marks, 'log'), 'utf8').trim().split('\n');
    // Strictly start/end pairs of one branch each: no two checkouts overlapped.
    const pairs = Array.from({ length: log.length / 2 }, (_, i) => [log[2 * i], log[2 * i + 1]]);
    expect(pairs.every(([s, e]) => s!.startsWith('start ') && e === s!.replace('start', 'end'))).toBe(true);
    expect(pairs.map(([s]) => s!.slice(6)).sort()).toEqual(['cmp-1', 'cmp-2', 'cmp-3', 'cmp-4']);
    expect(mostAtOnce(log)).toBe(1);
    // The setup commands of three agents ran at once (the fourth after one of them ended).
    const setupLog = fs.readFileSync(setups, 'utf8').trim().split('\n');
    expect(setupLog.slice(0, 3).every((l) => l.startsWith('start '))).toBe(true);
    expect(setupLog.filter((l) => l.startsWith('end ')).length).toBe(4);
    expect(mostAtOnce(setupLog)).toBe(3);
    const records = readState(sb).agents;
    expect(records.map((a) => [a.branch, a.phase])).toEqual([['cmp-1', 'ready'], ['cmp-2', 'ready'], ['cmp-3', 'ready'], ['cmp-4', 'ready']]);
  });

  it('Ctrl+C while agents wait for a checkout: they never check out, and all but the finished are rolled back', async () => {
    // The second checkout holds the one slot until the test says go. By then the first agent is
    // ready and two more (of cmp-1 … cmp-4, whichever claimed last) queue behind; cmp-5 waits for a worker.
    hook(`touch "${marks}/co-$b"\nif [ "$(ls "${marks}" | grep -c '^co-')" = 2 ]; then i=0; while [ ! -e "${marks}/go" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; fi`);
    const child = fanoutOnOneCpu(5, { detached: true });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const phases = () => readState(sb).agents.map((a) => `${String(a.branch)}:${String(a.phase)}`).sort();
    const checkedOut = () => fs.readdirSync(marks).filter((f) => f.startsWith('co-')).map((f) => f.slice(3)).sort();
    await waitFor(
      () => {
        const p = phases();
        return checkedOut().length === 2 && p.length === 4 && p.filter((x) => x.endsWith(':ready')).length === 1;
      },
      { what: 'one agent ready, one checking out, two queued', timeout: 20_000 },
    );
    const kept = phases().find((x) => x.endsWith(':ready'))!.split(':')[0]!;
    const others = ['cmp-1', 'cmp-2', 'cmp-3', 'cmp-4'].filter((b) => b !== kept);
    const inSlot = checkedOut().find((b) => b !== kept)!;
    process.kill(-child.pid!, 'SIGINT');
    await waitFor(() => stderr.includes('starting no more agents'), { what: 'the Ctrl+C to be noticed' });
    fs.writeFileSync(path.join(marks, 'go'), '');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain(`error: interrupted: 1 of 5 agents kept (${kept}); 3 half-made rolled back (${others.join(', ')}); 1 not started (cmp-5)\n`);
    // The two queued never checked out: only the kept one and the one in the slot did.
    expect(checkedOut()).toEqual([kept, inSlot].sort());
    // Nothing of the rolled-back ones is left: records, sessions, worktrees, branches.
    expect(phases()).toEqual([`${kept}:ready`]);
    expect((await sb.tmux('list-sessions', '-F', '#{session_name}')).stdout.trim()).toBe(`fleet_repo_${kept}`);
    const worktrees = (await sb.git(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((l) => l.startsWith('worktree ')).map((l) => path.basename(l));
    expect(worktrees).toEqual(['repo', kept]);
    expect(fs.readdirSync(path.join(sb.fleetHome, 'worktrees', 'repo'))).toEqual([kept]);
    expect((await sb.git(repo, 'branch', '--format=%(refname:short)')).split('\n').sort()).toEqual([kept, 'main']);
  });
});
