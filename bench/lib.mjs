// Shared helpers for the benchmarks in bench/. Benchmarks are not tests: they print ratios
// against a floor measured in the same run (bare git/tmux/node), alternating the two sides.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = process.env.FLEET_CLI ?? fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A private HOME / AI_FLEET_HOME / tmux server, like the tests use. */
export function makeBenchEnv(prefix = 'fbench-') {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  const env = {
    ...process.env,
    HOME: path.join(dir, 'home'),
    AI_FLEET_HOME: path.join(dir, 'fleet'),
    TMUX_TMPDIR: path.join(dir, 't'),
    FORCE_COLOR: '0',
    GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@example.com',
    GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  delete env.TMUX;
  delete env.TMUX_PANE;
  for (const d of [env.HOME, env.TMUX_TMPDIR]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(env.HOME, '.gitconfig'), '[init]\n\tdefaultBranch = main\n');
  const cleanup = () => {
    spawnSync('tmux', ['kill-server'], { env, stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { dir, env, cleanup };
}

/**
 * A repository of `files` files of `size` bytes each (code-like text that compresses about like
 * source code, 3x), in nested directories, one commit, packed like a clone (`loose`: as committed).
 */
export function makeRepo(dir, env, files = 3000, size = 100, { loose = false } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q'], { cwd: dir, env });
  let seed = 42;
  const rnd = (n) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_';
  const words = Array.from({ length: 2000 }, () => Array.from({ length: 3 + rnd(10) }, () => letters[rnd(letters.length)]).join(''));
  const keywords = ['const', 'return', 'export function', 'if (', 'await', 'for (const', 'import {', '} from', 'let', '=>', '===', '&&'];
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, 'src', `d${i % 50}`, `e${i % 7}`);
    fs.mkdirSync(sub, { recursive: true });
    let text = `export const v${i} = ${i};\n`;
    while (text.length < size) {
      let line = '  '.repeat(rnd(4));
      for (let w = 3 + rnd(8); w > 0; w--) line += `${rnd(4) === 0 ? keywords[rnd(keywords.length)] : rnd(5) === 0 ? rnd(100000) : words[rnd(words.length)]} `;
      text += `${line.trimEnd()};\n`;
    }
    fs.writeFileSync(path.join(sub, `f${i}.ts`), `${text.slice(0, Math.max(0, size - 1))}\n`);
  }
  execFileSync('git', ['add', '-A'], { cwd: dir, env });
  execFileSync('git', ['commit', '-q', '-m', 'bench repo'], { cwd: dir, env });
  if (!loose) execFileSync('git', ['repack', '-adq'], { cwd: dir, env });
  return dir;
}

/** Wall time of one synchronous run, in ms. Throws when the command fails. */
export function timeRun(cmd, args, opts) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

/**
 * Run `a` and `b` alternately `runs` times (after `reset` each), return both medians, the ratio
 * a/b, every sample and the 1-minute load average just before each sample (other work on the
 * machine distorts timings: read the samples beside it).
 */
export function compare({ runs, a, b, reset }) {
  const ta = [];
  const tb = [];
  const la = [];
  const lb = [];
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? [['a', a], ['b', b]] : [['b', b], ['a', a]];
    for (const [which, fn] of order) {
      reset?.();
      (which === 'a' ? la : lb).push(os.loadavg()[0]);
      (which === 'a' ? ta : tb).push(fn());
    }
  }
  reset?.();
  const ma = median(ta);
  const mb = median(tb);
  return { a: ma, b: mb, ratio: ma / mb, samplesA: ta, samplesB: tb, loadA: la, loadB: lb };
}

export function report(title, rows) {
  console.log(`\n${title}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(34)} ${v}`);
}

/**
 * Bundle TypeScript modules of this repository (`export … from './src/….ts'` lines) into one ES
 * module with esbuild (tsup's), beside node_modules so their own imports (execa) resolve, and
 * import it.
 */
export async function importBundled(name, exportLines) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const outfile = path.join(root, 'node_modules', '.cache', 'fleet-bench', `${name}.mjs`);
  const { build } = await import('esbuild');
  await build({
    stdin: { contents: exportLines.join('\n'), resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  return import(outfile);
}

// Claude transcripts for the usage benchmarks (bench/usage, bench/list --transcripts).
let n = 0;
/** One assistant reply as Claude Code writes it: one line per content block, each repeating the usage. */
export function claudeReplyLines(model) {
  n++;
  const base = {
    parentUuid: `p-${n}`, isSidechain: false, userType: 'external', cwd: '/work/repo', sessionId: 's', version: '2.1.197', gitBranch: 'b',
    requestId: `req_${n}`, type: 'assistant', timestamp: '2026-11-27T10:00:00.000Z',
  };
  const usage = { input_tokens: 12, cache_creation_input_tokens: 900, cache_read_input_tokens: 45_000, cache_creation: { ephemeral_5m_input_tokens: 900, ephemeral_1h_input_tokens: 0 }, output_tokens: 700, service_tier: 'standard' };
  const blocks = [
    { type: 'thinking', thinking: 'Let me read the failing test first. '.repeat(20), signature: 'x'.repeat(300) },
    { type: 'text', text: 'I will run the tests and look at the output. '.repeat(5) },
    { type: 'tool_use', id: `toolu_${n}`, name: 'Bash', input: { command: 'npm test -- --reporter=dot', description: 'Run tests' } },
  ];
  return blocks
    .map((b, i) => JSON.stringify({ ...base, uuid: `u-${n}-${i}`, message: { id: `msg_${n}`, type: 'message', role: 'assistant', model, content: [b], stop_reason: null, stop_sequence: null, usage } }))
    .join('\n') + '\n';
}
function toolResult(bytes) {
  return JSON.stringify({
    parentUuid: `p-${n}`, isSidechain: false, type: 'user', uuid: `r-${n}`, timestamp: '2026-11-27T10:00:01.000Z',
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${n}`, content: 'PASS src/x.test.ts\n'.repeat(Math.ceil(bytes / 19)).slice(0, bytes) }] },
  }) + '\n';
}

/** A claude transcript of about `mb` MB, mostly tool output, as an agent's session grows. */
export function writeClaudeTranscript(file, mb, model = 'claude-sonnet-4-5-20250929') {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  let size = 0;
  while (size < mb * 1024 * 1024) {
    const chunk = claudeReplyLines(model) + toolResult(3_000 + (n % 7) * 2_000);
    fs.writeSync(fd, chunk);
    size += Buffer.byteLength(chunk);
  }
  fs.closeSync(fd);
}
