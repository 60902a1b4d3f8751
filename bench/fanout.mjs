// bench/fanout: `fleet fanout 8 --quick` on a repository of real size (default 3,000 files of
// 4 KB: 12 MB checked out), against a shell loop that runs the bare `git worktree add -b … && tmux
// new-session -d …` eight times one after another, in the same run, alternating, medians. Goal:
// ratio <= 1.0 (fleet no slower than the bare loop). Then `fleet fanout 5` with a setup step of a
// few seconds (setup_commands, like `npm ci`) against the same steps (worktree add, setup, tmux)
// done one agent after another by hand.
//
//   node bench/fanout.mjs [--preset 300k|12m|30m] [--files 3000] [--size 4096] [--runs 7]
//                         [--setup-runs 3] [--setup "sleep 2"] [--max-parallel N] [--settle-ms 1000] [--loose]
//
// Presets: 300k = 3,000 files of 100 bytes, 12m = 3,000 of 4 KB (the default), 30m = 7,500 of
// 4 KB (about vite's checkout). --files/--size (or BENCH_FILES/BENCH_SIZE) override a preset.
// The repository is packed, like a clone; --loose keeps one object file per blob, as committed.
// Nothing is deleted between timed runs (worktrees go to a trash directory, deleted at the end) and
// the disk is settled (sync, a pause) before each; the load average is printed beside each sample.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, compare, makeBenchEnv, makeRepo, report, timeRun } from './lib.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const PRESETS = { '300k': [3000, 100], '12m': [3000, 4096], '30m': [7500, 4096] };
const PRESET = arg('preset', process.env.BENCH_PRESET ?? '12m');
if (!PRESETS[PRESET]) throw new Error(`unknown preset "${PRESET}" (300k, 12m or 30m)`);
const RUNS = Number(arg('runs', 7));
const SETUP_RUNS = Number(arg('setup-runs', 3));
const FILES = Number(arg('files', process.env.BENCH_FILES ?? PRESETS[PRESET][0]));
const SIZE = Number(arg('size', process.env.BENCH_SIZE ?? PRESETS[PRESET][1]));
const SETUP = arg('setup', 'sleep 2');
const MAX_PARALLEL = arg('max-parallel', null);
const SETTLE_MS = Number(arg('settle-ms', 1000));
const LOOSE = process.argv.includes('--loose');

const { dir, env, cleanup } = makeBenchEnv('fbench-fanout-');
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

const mb = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(0)} MB` : `${(bytes / 1e3).toFixed(0)} KB`);
const sh = (script, opts) => timeRun('bash', ['-c', script], opts);
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

try {
  const repo = makeRepo(path.join(dir, 'repo'), env, FILES, SIZE, { loose: LOOSE });
  const fleetHome = env.AI_FLEET_HOME;
  const loopRoot = path.join(dir, 'loop-worktrees');
  fs.mkdirSync(fleetHome, { recursive: true });
  const writeConfig = (extra = '') =>
    fs.writeFileSync(path.join(fleetHome, 'config.toml'), `default_agent = "shell"\n${MAX_PARALLEL ? `max_parallel = ${Number(MAX_PARALLEL)}\n` : ''}${extra}`);
  const opts = { cwd: repo, env };

  /**
   * Back to a repository with no worktrees, branches, sessions or records (not timed). Worktrees
   * are moved into a trash directory, deleted at the end: deleting tens of thousands of files
   * between runs (on a disk mounted with `discard`) slows whichever side runs next. Then the disk
   * is settled: the last run's writes flushed (sync) and a pause for the writeback to finish.
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
    if (SETTLE_MS > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SETTLE_MS);
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
  const samples = (xs, loads) => xs.map((x, i) => `${x.toFixed(0)} (${loads[i].toFixed(1)})`).join(' ');
  report(`fleet fanout 8 --quick, ${FILES} files of ${SIZE} bytes (${mb(FILES * SIZE)} checked out${LOOSE ? ', loose objects' : ''}), ${RUNS} alternating runs, max_parallel ${MAX_PARALLEL ?? 4}, ${os.availableParallelism()} CPUs`, [
    ['fleet fanout 8 --quick (median)', `${r.a.toFixed(0)} ms`],
    ['bare loop: 8 x (worktree add + tmux) (median)', `${r.b.toFixed(0)} ms`],
    ['ratio (goal <= 1.0)', `${r.ratio.toFixed(2)}x ${r.ratio <= 1 ? '(goal met)' : '(GOAL MISSED)'}`],
    ['fleet samples ms (load avg)', samples(r.samplesA, r.loadA)],
    ['loop samples ms (load avg)', samples(r.samplesB, r.loadB)],
  ]);

  // 2. fanout 5 with a setup step against the same steps one agent after another (--setup-runs 0 skips it).
  if (SETUP_RUNS > 0) {
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
      ['fleet samples ms (load avg)', samples(s.samplesA, s.loadA)],
      ['by-hand samples ms (load avg)', samples(s.samplesB, s.loadB)],
    ]);
  }
} finally {
  cleanup();
}
