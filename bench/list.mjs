// bench/list: `fleet list --json` with 50 live stand-in agents, against the floor it cannot beat:
// `node -e 0` + one `tmux list-panes -a` + one `git worktree list`, alternating, medians of the
// same run. Goal: ratio <= 2.0 (stretch 1.5).
//
//   node bench/list.mjs [--agents 50] [--runs 30] [--transcripts MB] [--profile]
//
// --transcripts MB: the agents are of the claude kind and each has a claude transcript of MB MB
// where Claude Code keeps it, so list reads tokens and cost too. The first list reads them all
// (timed once, reported); the medians are of lists after it, when only what was appended is read.
// --profile also writes a CPU profile of one `fleet list --json` and prints where its time goes.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, compare, makeBenchEnv, makeRepo, report, timeRun, writeClaudeTranscript } from './lib.mjs';
import { peakRss, summarizeProfile } from './profile.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const AGENTS = arg('agents', 50);
const RUNS = arg('runs', 30);
const PROFILE = process.argv.includes('--profile');
const TRANSCRIPT_MB = arg('transcripts', 0);

const { dir, env, cleanup } = makeBenchEnv('fbench-list-');
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
try {
  const repo = makeRepo(path.join(dir, 'repo'), env, 300);
  fs.mkdirSync(env.AI_FLEET_HOME, { recursive: true });
  // With transcripts: "claude" agents (the built-in kind, so fleet reads their transcripts) that run a shell.
  fs.writeFileSync(path.join(env.AI_FLEET_HOME, 'config.toml'), TRANSCRIPT_MB > 0 ? 'default_agent = "claude"\n[agents.claude]\ncommand = "bash -c"\n' : 'default_agent = "shell"\n');

  // Stand-in agents: a shell with a child, like an agent with its node process.
  const t0 = performance.now();
  for (let i = 1; i <= AGENTS; i++) {
    execFileSync(process.execPath, [CLI, 'create', `agent-${i}`, '--quick', '-p', 'sleep 100000 & wait'], { cwd: repo, env, stdio: 'ignore' });
  }
  const setupS = ((performance.now() - t0) / 1000).toFixed(1);

  let firstRead = null;
  if (TRANSCRIPT_MB > 0) {
    const t1 = performance.now();
    for (let i = 1; i <= AGENTS; i++) {
      const cwd = fs.realpathSync(path.join(env.AI_FLEET_HOME, 'worktrees', 'repo', `agent-${i}`));
      writeClaudeTranscript(path.join(env.HOME, '.claude', 'projects', cwd.replace(/[^a-zA-Z0-9]/g, '-'), 'session.jsonl'), TRANSCRIPT_MB);
    }
    const genS = ((performance.now() - t1) / 1000).toFixed(1);
    const ms = timeRun(process.execPath, [CLI, 'list', '--json'], { cwd: repo, env });
    firstRead = `${ms.toFixed(0)} ms for ${AGENTS * TRANSCRIPT_MB} MB of transcripts (generated in ${genS} s)`;
  }

  const listed = JSON.parse(execFileSync(process.execPath, [CLI, 'list', '--json'], { cwd: repo, env, encoding: 'utf8' }));
  const live = listed.filter((a) => a.status === 'running' || a.status === 'idle');
  if (live.length !== AGENTS) throw new Error(`expected ${AGENTS} live agents, list shows ${live.length}`);
  if (!live.every((a) => a.memory > 0)) throw new Error('an agent without memory figures');
  if (TRANSCRIPT_MB > 0 && !listed.every((a) => a.usage && a.usage.cost_usd > 0)) throw new Error('an agent without usage');

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

  const what = TRANSCRIPT_MB > 0 ? `, each with a ${TRANSCRIPT_MB} MB claude transcript` : '';
  report(`fleet list --json, ${AGENTS} live agents${what} (set up in ${setupS} s), ${RUNS} alternating runs`, [
    ...(firstRead ? [['first list (reads every transcript)', firstRead]] : []),
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
