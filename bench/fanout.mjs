// bench/fanout: `fleet fanout 8 --quick` on a repository of 3,000 files, against a shell loop that
// runs the bare `git worktree add -b … && tmux new-session -d …` eight times one after another, in
// the same run, alternating, medians. Goal: ratio <= 1.0 (fleet no slower than the bare loop).
// Then `fleet fanout 5` with a setup step of a few seconds (setup_commands, like `npm ci`) against
// the same steps (worktree add, setup, tmux) done one agent after another by hand.
//
//   node bench/fanout.mjs [--runs 7] [--setup-runs 3] [--files 3000] [--setup "sleep 2"]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, compare, makeBenchEnv, makeRepo, report, timeRun } from './lib.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const RUNS = Number(arg('runs', 7));
const SETUP_RUNS = Number(arg('setup-runs', 3));
const FILES = Number(arg('files', 3000));
const SETUP = arg('setup', 'sleep 2');

const { dir, env, cleanup } = makeBenchEnv('fbench-fanout-');
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

const sh = (script, opts) => timeRun('bash', ['-c', script], opts);
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

try {
  const repo = makeRepo(path.join(dir, 'repo'), env, FILES);
  const fleetHome = env.AI_FLEET_HOME;
  const loopRoot = path.join(dir, 'loop-worktrees');
  fs.mkdirSync(fleetHome, { recursive: true });
  const writeConfig = (extra = '') => fs.writeFileSync(path.join(fleetHome, 'config.toml'), `default_agent = "shell"\n${extra}`);
  const opts = { cwd: repo, env };

  /**
   * Back to a repository with no worktrees, branches, sessions or records (not timed). Worktrees
   * are moved into a trash directory, deleted at the end: deleting tens of thousands of files
   * between runs (on a disk mounted with `discard`) slows whichever side runs next.
   */
  const trash = path.join(dir, 'trash');
  let trashed = 0;
  const reset = () => {
    spawnSync('tmux', ['kill-server'], { env, stdio: 'ignore' });
    fs.mkdirSync(trash, { recursive: true });
    for (const d of [path.join(fleetHome, 'worktrees'), loopRoot]) {
      if (fs.existsSync(d)) fs.renameSync(d, path.join(trash, String(trashed++)));
    }
    fs.rmSync(path.join(fleetHome, 'state.json'), { force: true });
    execFileSync('git', ['worktree', 'prune'], opts);
    const branches = execFileSync('git', ['branch', '--format=%(refname:short)'], { ...opts, encoding: 'utf8' }).split('\n').filter((b) => b && b !== 'main');
    if (branches.length) execFileSync('git', ['branch', '-D', ...branches], { ...opts, stdio: 'ignore' });
    spawnSync('sync');
  };

  /** fleet really made them all: n ready records, n sessions. */
  const check = (n) => {
    const state = JSON.parse(fs.readFileSync(path.join(fleetHome, 'state.json'), 'utf8'));
    const ready = state.agents.filter((a) => a.phase === 'ready').length;
    const sessions = spawnSync('tmux', ['list-sessions'], { env, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
    if (ready !== n || sessions !== n) throw new Error(`expected ${n} agents, got ${ready} records and ${sessions} sessions`);
  };

  const loop = (n, setup) =>
    [
      `mkdir -p ${q(loopRoot)}`,
      `for i in $(seq 1 ${n}); do`,
      `  git worktree add -q -b loop-$i ${q(loopRoot)}/loop-$i HEAD &&`,
      ...(setup ? [`  (cd ${q(loopRoot)}/loop-$i && bash -c ${q(setup)}) &&`] : []),
      `  tmux new-session -d -s loop-$i -c ${q(loopRoot)}/loop-$i || exit 1`,
      'done',
    ].join('\n');

  // 1. fanout 8 --quick against the bare loop, after one untimed run of each (the repository's
  // own writes are still being flushed at first).
  writeConfig();
  for (const warm of [() => timeRun(process.execPath, [CLI, 'fanout', '8', 'bench', '--quick', '-p', 'sleep 100000'], opts), () => sh(loop(8, null), opts)]) {
    reset();
    warm();
  }
  const r = compare({
    runs: RUNS,
    reset,
    a: () => {
      const ms = timeRun(process.execPath, [CLI, 'fanout', '8', 'bench', '--quick', '-p', 'sleep 100000'], opts);
      check(8);
      return ms;
    },
    b: () => sh(loop(8, null), opts),
  });
  report(`fleet fanout 8 --quick, ${FILES}-file repository, ${RUNS} alternating runs (max_parallel 4)`, [
    ['fleet fanout 8 --quick (median)', `${r.a.toFixed(0)} ms`],
    ['bare loop: 8 x (worktree add + tmux) (median)', `${r.b.toFixed(0)} ms`],
    ['ratio (goal <= 1.0)', `${r.ratio.toFixed(2)}x ${r.ratio <= 1 ? '(goal met)' : '(GOAL MISSED)'}`],
    ['fleet samples', r.samplesA.map((x) => x.toFixed(0)).join(' ')],
    ['loop samples', r.samplesB.map((x) => x.toFixed(0)).join(' ')],
  ]);

  // 2. fanout 5 with a setup step against the same steps one agent after another.
  writeConfig(`setup_commands = [${JSON.stringify(SETUP)}]\n`);
  const s = compare({
    runs: SETUP_RUNS,
    reset,
    a: () => {
      const ms = timeRun(process.execPath, [CLI, 'fanout', '5', 'bench', '-p', 'sleep 100000'], opts);
      check(5);
      return ms;
    },
    b: () => sh(loop(5, SETUP), opts),
  });
  report(`fleet fanout 5 with setup_commands = [${JSON.stringify(SETUP)}], ${SETUP_RUNS} alternating runs`, [
    ['fleet fanout 5 (median)', `${s.a.toFixed(0)} ms`],
    ['by hand: 5 x (worktree add + setup + tmux)', `${s.b.toFixed(0)} ms`],
    ['ratio', `${s.ratio.toFixed(2)}x (${(s.b / s.a).toFixed(1)}x faster)`],
  ]);
} finally {
  cleanup();
}
