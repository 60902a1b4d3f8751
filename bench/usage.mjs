// bench/usage: reading agents' token usage from their transcripts.
//
//   node bench/usage.mjs [--agents 50] [--mb 5] [--runs 5]
//
// Generates `agents` claude transcripts of `mb` MB each (mostly tool output, replies written one
// line per content block, as Claude Code writes them) and reports medians of:
//   1. the first read of all of them (empty cache),
//   2. a re-read when nothing changed (what `list` pays on every call once wired),
//   3. a re-read after one small reply was appended to every transcript,
// in-process, plus (2) as its own process against `node -e 0`: the usage module's share of a
// `fleet list` of that many agents.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { claudeReplyLines, compare, median, report, timeRun, writeClaudeTranscript } from './lib.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const AGENTS = arg('agents', 50);
const MB = arg('mb', 5);
const RUNS = arg('runs', 5);

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'fbench-usage-')));
process.on('SIGINT', () => {
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(130);
});

try {
  // The reader, bundled from src/ the same way tsup bundles the CLI.
  const bundle = path.join(dir, 'usage.mjs');
  await build({ entryPoints: [path.join(root, 'src/usage/index.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'silent' });
  const { readUsage, sessionFiles } = await import(pathToFileURL(bundle).href);

  const t0 = performance.now();
  const files = [];
  for (let a = 0; a < AGENTS; a++) {
    const file = path.join(dir, 'projects', `-work-repo-${a}`, 'session.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeClaudeTranscript(file, MB);
    files.push(file);
  }
  const totalMb = files.reduce((s, f) => s + fs.statSync(f).size, 0) / 1024 / 1024;
  const genS = ((performance.now() - t0) / 1000).toFixed(1);

  const agents = Object.fromEntries(files.map((f, i) => [`agent-${i}`, sessionFiles('claude', f)]));
  const home = path.join(dir, 'fleet');
  const time = (fn) => {
    const s = performance.now();
    const r = fn();
    return [performance.now() - s, r];
  };

  const first = [];
  let usage;
  for (let r = 0; r < RUNS; r++) {
    fs.rmSync(home, { recursive: true, force: true });
    const [ms, u] = time(() => readUsage(agents, { home }));
    first.push(ms);
    usage = u;
  }
  const one = usage['agent-0'];
  if (!one || !(one.cost_usd > 0)) throw new Error('no usage read');

  const unchanged = [];
  for (let r = 0; r < RUNS * 6; r++) unchanged.push(time(() => readUsage(agents, { home }))[0]);

  const appended = [];
  for (let r = 0; r < RUNS * 3; r++) {
    for (const f of files) fs.appendFileSync(f, claudeReplyLines('claude-sonnet-4-5-20250929'));
    appended.push(time(() => readUsage(agents, { home }))[0]);
  }

  // (2) as its own process, against node -e 0: what wiring it into `fleet list` would add.
  const script = path.join(dir, 'read-cached.mjs');
  fs.writeFileSync(script, `const { readUsage, sessionFiles } = await import(${JSON.stringify(pathToFileURL(bundle).href)});\n` +
    `const files = ${JSON.stringify(files)};\n` +
    `readUsage(Object.fromEntries(files.map((f, i) => ['a' + i, sessionFiles('claude', f)])), { home: ${JSON.stringify(home)} });\n`);
  const proc = compare({ runs: 20, a: () => timeRun(process.execPath, [script], {}), b: () => timeRun(process.execPath, ['-e', '0'], {}) });

  report(`usage of ${AGENTS} claude transcripts, ${totalMb.toFixed(0)} MB in all (generated in ${genS} s)`, [
    [`first read, empty cache (median of ${RUNS})`, `${median(first).toFixed(0)} ms  (${(totalMb / (median(first) / 1000)).toFixed(0)} MB/s)`],
    [`nothing changed (median of ${RUNS * 6})`, `${median(unchanged).toFixed(2)} ms`],
    [`one reply appended to each (median of ${RUNS * 3})`, `${median(appended).toFixed(2)} ms`],
    ['as a process, nothing changed (median)', `${proc.a.toFixed(1)} ms vs node -e 0 ${proc.b.toFixed(1)} ms (+${(proc.a - proc.b).toFixed(1)} ms)`],
    ['agent-0', `${one.model}: ${one.output_tokens} output tokens, $${one.cost_usd.toFixed(2)}`],
  ]);
  const cacheBytes = execFileSync('du', ['-sk', path.join(home, 'usage-cache')], { encoding: 'utf8' }).split('\t')[0];
  console.log(`  cache on disk: ${cacheBytes} KiB for ${AGENTS} transcripts`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
