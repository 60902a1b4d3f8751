// bench/list: `fleet list --json` with 50 live stand-in agents, against the floor it cannot beat:
// `node -e 0` + one `tmux list-panes -a` + one `git worktree list`, alternating, medians of the
// same run. Goal: ratio <= 2.0 (stretch 1.5).
//
//   node bench/list.mjs [--agents 50] [--runs 30] [--profile]
//
// --profile also writes a CPU profile of one `fleet list --json` and prints where its time goes.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, compare, makeBenchEnv, makeRepo, report, timeRun } from './lib.mjs';
import { peakRss, summarizeProfile } from './profile.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const AGENTS = arg('agents', 50);
const RUNS = arg('runs', 30);
const PROFILE = process.argv.includes('--profile');

const { dir, env, cleanup } = makeBenchEnv('fbench-list-');
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
try {
  const repo = makeRepo(path.join(dir, 'repo'), env, 300);
  fs.mkdirSync(env.AI_FLEET_HOME, { recursive: true });
  fs.writeFileSync(path.join(env.AI_FLEET_HOME, 'config.toml'), 'default_agent = "shell"\n');

  // Stand-in agents: a shell with a child, like an agent with its node process.
  const t0 = performance.now();
  for (let i = 1; i <= AGENTS; i++) {
    execFileSync(process.execPath, [CLI, 'create', `agent-${i}`, '--quick', '-p', 'sleep 100000 & wait'], { cwd: repo, env, stdio: 'ignore' });
  }
  const setupS = ((performance.now() - t0) / 1000).toFixed(1);

  const listed = JSON.parse(execFileSync(process.execPath, [CLI, 'list', '--json'], { cwd: repo, env, encoding: 'utf8' }));
  const live = listed.filter((a) => a.status === 'running' || a.status === 'idle');
  if (live.length !== AGENTS) throw new Error(`expected ${AGENTS} live agents, list shows ${live.length}`);
  if (!live.every((a) => a.memory > 0)) throw new Error('an agent without memory figures');

  const opts = { cwd: repo, env };
  const r = compare({
    runs: RUNS,
    a: () => timeRun(process.execPath, [CLI, 'list', '--json'], opts),
    b: () =>
      timeRun(process.execPath, ['-e', '0'], opts) +
      timeRun('tmux', ['list-panes', '-a'], opts) +
      timeRun('git', ['worktree', 'list'], opts),
  });
  const verbose = spawnSync(process.execPath, [CLI, '--verbose', 'list', '--json'], { ...opts, encoding: 'utf8' }).stderr.trim();

  report(`fleet list --json, ${AGENTS} live agents (set up in ${setupS} s), ${RUNS} alternating runs`, [
    ['fleet list --json (median)', `${r.a.toFixed(1)} ms`],
    ['floor: node -e 0 + tmux + git (median)', `${r.b.toFixed(1)} ms`],
    ['ratio (goal <= 2.0, stretch 1.5)', `${r.ratio.toFixed(2)}x ${r.ratio <= 1.5 ? '(stretch met)' : r.ratio <= 2 ? '(goal met)' : '(GOAL MISSED)'}`],
    ['peak RSS of fleet list --json', peakRss(process.execPath, [CLI, 'list', '--json'], opts)],
    ['peak RSS of node -e 0', peakRss(process.execPath, ['-e', '0'], opts)],
  ]);
  console.log(`\n  calls made by one list (--verbose):\n${verbose.split('\n').map((l) => `    ${l}`).join('\n')}`);

  if (PROFILE || r.ratio > 2) {
    const profDir = path.join(dir, 'prof');
    execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, CLI, 'list', '--json'], { ...opts, stdio: 'ignore' });
    const file = path.join(profDir, fs.readdirSync(profDir)[0]);
    console.log(`\n  where one list's main-thread time goes (CPU profile, self time):`);
    for (const line of summarizeProfile(file)) console.log(`    ${line}`);
  }
} finally {
  cleanup();
}
