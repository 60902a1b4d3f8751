import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sumBands } from '../../src/core/usage/types.js';
import { readUsage, readUsageDetailed, sessionFiles } from '../../src/usage/index.js';
import { nodeIO, TranscriptCache, type TranscriptIO, type TranscriptRef } from '../../src/usage/transcript-cache.js';
import { claudeReply, claudeUserLine, codex, gemini, lines } from '../helpers/transcripts.js';

const MODEL = 'claude-sonnet-4-5-20250929';

/** The real file operations, counting the bytes read. */
function countingIO(): TranscriptIO & { bytes: number } {
  const io = {
    ...nodeIO,
    bytes: 0,
    read(fd: number, buf: Buffer, offset: number, length: number, position: number) {
      const n = nodeIO.read(fd, buf, offset, length, position);
      io.bytes += n;
      return n;
    },
  };
  return io;
}

function reply(i: number, output = 100): string[] {
  return claudeReply({ id: `msg_${i}`, requestId: `req_${i}`, model: MODEL, blocks: 2, usage: { input_tokens: 10, output_tokens: output, cache_read_input_tokens: 1_000 } });
}

let dir: string;
let home: string;
let file: string;
const ref = (): TranscriptRef => ({ path: file, kind: 'claude' });
const outputOf = (cache: TranscriptCache) => sumBands(cache.read(ref()).totals[MODEL] ?? { bands: {}, requests: 0 }).output;

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-usage-')));
  home = path.join(dir, 'fleet');
  file = path.join(dir, 'projects', '-work-repo', 's-1.jsonl');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // A transcript that is mostly tool output, like a real one.
  const bulk = claudeUserLine('x'.repeat(200_000));
  fs.writeFileSync(file, lines(bulk, reply(1), bulk, reply(2), bulk, reply(3)));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('incremental transcript reading', () => {
  it('reads only the appended bytes, proven by counting them and by corrupting the part already read', () => {
    const first = countingIO();
    expect(outputOf(new TranscriptCache(home, first))).toBe(300);
    expect(first.bytes).toBeGreaterThanOrEqual(fs.statSync(file).size);

    // Overwrite the first (already counted) reply's bytes with another one of the same length:
    // were the file read again from the start, the totals would change.
    const text = fs.readFileSync(file, 'utf8');
    const firstReply = text.indexOf('"output_tokens":100');
    fs.writeFileSync(file, text.slice(0, firstReply) + '"output_tokens":900' + text.slice(firstReply + 19));

    const appended = lines(reply(4), reply(5, 50));
    fs.appendFileSync(file, appended);
    const second = countingIO();
    const cache = new TranscriptCache(home, second); // a new process: state comes from the cache files
    expect(outputOf(cache)).toBe(450);
    expect(second.bytes).toBe(64 + Buffer.byteLength(appended)); // the 64 bytes before the offset, checked, then the new ones
  });

  it('saves the state again once reading moved 64 KB past it, so the next reader starts there', () => {
    new TranscriptCache(home).read(ref());
    fs.appendFileSync(file, lines(reply(4))); // small: read, state not saved again
    new TranscriptCache(home).read(ref());
    const big = lines(claudeUserLine('w'.repeat(70_000)), reply(5));
    fs.appendFileSync(file, big); // past the checkpoint: saved
    new TranscriptCache(home).read(ref());
    fs.appendFileSync(file, lines(reply(6)));
    const io = countingIO();
    expect(outputOf(new TranscriptCache(home, io))).toBe(600);
    expect(io.bytes).toBeLessThan(10_000);
  });

  it('costs nothing when nothing changed: the index answers without reading the transcript', () => {
    const first = new TranscriptCache(home);
    first.read(ref());
    first.flush();
    const io = countingIO();
    const r = new TranscriptCache(home, io).read(ref());
    expect(r.status).toBe('cached');
    expect(io.bytes).toBe(0);
    expect(sumBands(r.totals[MODEL]!).output).toBe(300);
  });

  it('waits for a half-written line and counts it once it is complete', () => {
    const cache = new TranscriptCache(home);
    expect(outputOf(cache)).toBe(300);
    const next = lines(claudeReply({ id: 'msg_4', requestId: 'req_4', model: MODEL, usage: { input_tokens: 10, output_tokens: 100 } }));
    const cut = Math.floor(next.length / 2);
    fs.appendFileSync(file, next.slice(0, cut));
    expect(outputOf(cache)).toBe(300);
    fs.appendFileSync(file, next.slice(cut));
    expect(outputOf(cache)).toBe(400);
    expect(outputOf(cache)).toBe(400);
  });

  it('keeps a reply counted once when its final usage line arrives in a later read', () => {
    const cache = new TranscriptCache(home);
    const r = claudeReply({ id: 'msg_9', requestId: 'req_9', model: MODEL, blocks: 3, earlyUsage: { input_tokens: 10, output_tokens: 1 }, usage: { input_tokens: 10, output_tokens: 700 } });
    fs.appendFileSync(file, lines(r.slice(0, 2)));
    expect(outputOf(cache)).toBe(301);
    fs.appendFileSync(file, lines(r.slice(2)));
    expect(outputOf(new TranscriptCache(home))).toBe(1_000);
  });

  it('reads from the start again after truncation, rotation, or a rewrite before the offset', () => {
    const cache = new TranscriptCache(home);
    expect(outputOf(cache)).toBe(300);

    fs.writeFileSync(file, lines(reply(7, 5))); // truncated: smaller than the offset
    expect(outputOf(cache)).toBe(5);

    const rotated = file + '.new'; // rotated: another inode, larger than before
    fs.writeFileSync(rotated, lines(reply(8, 20), claudeUserLine('y'.repeat(300_000)), reply(9, 30)));
    fs.renameSync(rotated, file);
    expect(outputOf(cache)).toBe(50);

    // Rewritten in place (same inode, larger): the bytes just before the offset differ, so all is read again.
    const ino = fs.statSync(file).ino;
    fs.writeFileSync(file, lines(reply(10, 1), claudeUserLine('z'.repeat(400_000)), reply(11, 2)));
    expect(fs.statSync(file).ino).toBe(ino);
    expect(outputOf(cache)).toBe(3);
  });

  it('keeps the last totals of a transcript that disappeared, and follows no symlink or FIFO', () => {
    const cache = new TranscriptCache(home);
    expect(outputOf(cache)).toBe(300);
    cache.flush();
    fs.rmSync(file);
    const gone = new TranscriptCache(home).read(ref());
    expect(gone.status).toBe('missing');
    expect(sumBands(gone.totals[MODEL]!).output).toBe(300);

    const target = path.join(dir, 'elsewhere.jsonl');
    fs.writeFileSync(target, lines(reply(1)));
    fs.symlinkSync(target, file);
    expect(new TranscriptCache(home).read(ref()).status).toBe('missing');

    const fifo = path.join(dir, 'fifo.jsonl');
    execFileSync('mkfifo', [fifo]);
    expect(new TranscriptCache(home).read({ path: fifo, kind: 'claude' })).toMatchObject({ status: 'missing', totals: {} });
  });

  it('writes its cache files 0600 in a 0700 directory, atomically (no temp files left)', () => {
    const cache = new TranscriptCache(home);
    cache.read(ref());
    cache.flush();
    const files = fs.readdirSync(cache.dir);
    expect(files).toContain('index.json');
    expect(files.some((f) => f.includes('.tmp-'))).toBe(false);
    for (const f of files) expect(fs.statSync(path.join(cache.dir, f)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(cache.dir).mode & 0o777).toBe(0o700);
  });

  it('still answers, and says why, when the cache cannot be written', () => {
    const blocked = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocked, ''); // the "home" is a file: nothing can be made under it
    const cache = new TranscriptCache(blocked);
    expect(outputOf(cache)).toBe(300);
    cache.flush();
    expect(cache.warnings[0]).toMatch(/^could not write the usage cache .*not-a-dir/);
  });

  it('keeps the last totals of a vanished transcript even when only its saved state knows them', () => {
    new TranscriptCache(home).read(ref()); // state saved, index never flushed
    fs.rmSync(file);
    expect(new TranscriptCache(home).read(ref())).toMatchObject({ status: 'missing' });
    expect(outputOf(new TranscriptCache(home))).toBe(300);
  });

  it('forgets a transcript on request: index entry and state file gone', () => {
    const cache = new TranscriptCache(home);
    cache.read(ref());
    cache.flush();
    expect(fs.readdirSync(cache.dir)).toHaveLength(2);
    cache.forget([file]);
    cache.flush();
    expect(fs.readdirSync(cache.dir)).toEqual(['index.json']);
    expect(JSON.parse(fs.readFileSync(path.join(cache.dir, 'index.json'), 'utf8')).files).toEqual({});
  });

  it('rebuilds from the transcript when a cache file is corrupt', () => {
    const cache = new TranscriptCache(home);
    cache.read(ref());
    cache.flush();
    for (const f of fs.readdirSync(cache.dir)) fs.writeFileSync(path.join(cache.dir, f), '{"version":1,"files":');
    fs.appendFileSync(file, lines(reply(4)));
    expect(outputOf(new TranscriptCache(home))).toBe(400);
  });
});

describe('readUsage', () => {
  it('adds up a claude session and its sub-agents, codex and gemini agents, and prices them', () => {
    const sub = path.join(path.dirname(file), 's-1', 'subagents', 'agent-a1b2.jsonl');
    fs.mkdirSync(path.dirname(sub), { recursive: true });
    fs.writeFileSync(sub, lines(claudeReply({ id: 'msg_sub', requestId: 'req_sub', model: 'claude-haiku-4-5-20251001', usage: { input_tokens: 1_000_000, output_tokens: 0 } })));
    const rollout = path.join(dir, 'rollout-2026-11-27T10-00-00-019a.jsonl');
    fs.writeFileSync(rollout, lines(codex.turnContext('gpt-6-sol'), codex.tokenCount({ input: 1_000_000, cached: 0, output: 0 })));
    const chats = path.join(dir, 'gemini', 'chats');
    fs.mkdirSync(path.join(chats, 'c0ffee00-1111-2222-3333-444455556666'), { recursive: true });
    const main = path.join(chats, 'session-2026-11-27T10-00-c0ffee00.jsonl');
    fs.writeFileSync(main, lines(gemini.metadata(), gemini.reply('g1', 'gemini-2.5-flash', { input: 1_000_000, cached: 0, output: 0 })));
    fs.writeFileSync(path.join(chats, 'c0ffee00-1111-2222-3333-444455556666', 'sub-1.jsonl'),
      lines(gemini.metadata('sub-1'), gemini.reply('s1', 'gemini-2.5-flash', { input: 1_000_000, cached: 0, output: 0 })));

    const usage = readUsage({
      claude: sessionFiles('claude', file),
      codex: sessionFiles('codex', rollout),
      gemini: sessionFiles('gemini', main),
      shell: [],
    }, { home, pricing: { 'gpt-6-sol': { input: 1.5, output: 10 } } });

    expect(usage.claude!.models.map((m) => m.model)).toEqual(['claude-haiku-4-5-20251001', MODEL]);
    expect(usage.claude!.cost_usd).toBeCloseTo(30 * 3e-6 + 300 * 15e-6 + 3_000 * 0.3e-6 + 1, 9);
    expect(usage.codex!.cost_usd).toBe(1.5); // the config override, not the table's $2
    expect(usage.gemini!.cost_usd).toBeCloseTo(0.6, 9);
    expect(usage.shell).toBeNull();

    const again = readUsageDetailed({ claude: sessionFiles('claude', file) }, { home });
    expect(again.claude!.files.map((f) => f.status)).toEqual(['cached', 'cached']);
  });
});
