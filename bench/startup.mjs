// bench/startup: `fleet --version` against `node -e 0`, alternating, medians of the same run.
// Goal: ratio <= 1.5 (stretch 1.2). `fleet --help` is shown too, for reference (it loads
// commander and every command's definition).
//
//   node bench/startup.mjs [--runs 40] [--profile]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, compare, makeBenchEnv, report, timeRun } from './lib.mjs';
import { peakRss, summarizeProfile } from './profile.mjs';

const i = process.argv.indexOf('--runs');
const RUNS = i === -1 ? 40 : Number(process.argv[i + 1]);
const PROFILE = process.argv.includes('--profile');

const { dir, env, cleanup } = makeBenchEnv('fbench-start-');
try {
  const opts = { cwd: dir, env };
  const node0 = () => timeRun(process.execPath, ['-e', '0'], opts);
  const version = compare({ runs: RUNS, a: () => timeRun(process.execPath, [CLI, '--version'], opts), b: node0 });
  const help = compare({ runs: Math.ceil(RUNS / 2), a: () => timeRun(process.execPath, [CLI, '--help'], opts), b: node0 });

  report(`fleet start-up, ${RUNS} alternating runs`, [
    ['fleet --version (median)', `${version.a.toFixed(1)} ms`],
    ['node -e 0 (median)', `${version.b.toFixed(1)} ms`],
    ['ratio (goal <= 1.5, stretch 1.2)', `${version.ratio.toFixed(2)}x ${version.ratio <= 1.2 ? '(stretch met)' : version.ratio <= 1.5 ? '(goal met)' : '(GOAL MISSED)'}`],
    ['fleet --help vs node -e 0 (reference)', `${help.a.toFixed(1)} ms vs ${help.b.toFixed(1)} ms: ${help.ratio.toFixed(2)}x`],
    ['peak RSS of fleet --version', peakRss(process.execPath, [CLI, '--version'], opts)],
    ['peak RSS of node -e 0', peakRss(process.execPath, ['-e', '0'], opts)],
  ]);

  if (PROFILE || version.ratio > 1.5) {
    const profDir = path.join(dir, 'prof');
    execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, CLI, '--version'], { ...opts, stdio: 'ignore' });
    const file = path.join(profDir, fs.readdirSync(profDir)[0]);
    console.log(`\n  where fleet --version's main-thread time goes (CPU profile, self time):`);
    for (const line of summarizeProfile(file)) console.log(`    ${line}`);
  }
} finally {
  cleanup();
}
