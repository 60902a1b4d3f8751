// Transcripts written by the real claude-code 2.1.197, codex 0.171.0 and gemini-cli 0.61.0
// binaries against a stub API (see test/fixtures/usage/README.md): the parsers must read what the
// agents actually write, not only what the fixtures in test/helpers/transcripts.ts say they write.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readUsage, sessionFiles } from '../../src/usage/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/usage/', import.meta.url));
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'flt-usage-real-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const only = (dir: string, ext: string) => {
  const f = fs.readdirSync(path.join(FIXTURES, dir)).find((n) => n.endsWith(ext))!;
  return path.join(FIXTURES, dir, f);
};

describe('transcripts written by the real agents', () => {
  it('claude 2.1.197: one line per content block counted once; the sub-agent transcript included', () => {
    const main = only('claude-2.1.197', '.jsonl');
    const refs = sessionFiles('claude', main);
    expect(refs.map((r) => path.basename(r.path))).toEqual([path.basename(main), 'agent-a0ef3182914e1c5bb.jsonl']);
    const u = readUsage({ a: refs }, { home }).a!;
    // Main: the Agent call (100 in, 50 out) and a reply (1234 in, 2000 written, 30000 read, 321 out);
    // the sub-agent's reply as its transcript has it (the output count of message_start: 1).
    expect(u).toMatchObject({ model: 'claude-sonnet-4-5-20250929', input_tokens: 100 + 1234 + 1234, output_tokens: 50 + 321 + 1, cache_read_tokens: 60_000, cache_write_tokens: 4_000 });
    expect(u.cost_usd).toBeCloseTo((2_568 * 3 + 372 * 15 + 60_000 * 0.3 + 4_000 * 3.75) / 1e6, 9);
  });

  it('codex 0.171.0: the token_count totals, cached input split from fresh input', () => {
    const u = readUsage({ a: sessionFiles('codex', only('codex-0.171.0', '.jsonl')) }, { home }).a!;
    expect(u).toMatchObject({ model: 'gpt-6.1-sol', input_tokens: 2_000, cache_read_tokens: 8_000, output_tokens: 500 });
    expect(u.cost_usd).toBeCloseTo((2_000 * 2 + 8_000 * 0.1 + 500 * 10) / 1e6, 9);
  });

  it('gemini 0.61.0: the message\'s tokens, thinking counted as output', () => {
    const u = readUsage({ a: sessionFiles('gemini', only('gemini-0.61.0', '.jsonl')) }, { home }).a!;
    expect(u).toMatchObject({ model: 'gemini-2.5-pro', input_tokens: 4_000, cache_read_tokens: 8_000, output_tokens: 1_000 });
    expect(u.cost_usd).toBeCloseTo((4_000 * 1.25 + 8_000 * 0.125 + 1_000 * 10) / 1e6, 9);
  });
});
