import { describe, expect, it } from 'vitest';
import { claudeParser } from '../../src/core/usage/claude.js';
import { formatCost } from '../../src/core/usage/format.js';
import { summarizeUsage } from '../../src/core/usage/summary.js';
import { sumBands } from '../../src/core/usage/types.js';
import { claudeReply, claudeUserLine, fold, lines } from '../helpers/transcripts.js';

const SONNET = 'claude-sonnet-4-5-20250929';

// Three replies; hand arithmetic at Sonnet 4.5's prices ($3 in, $15 out, $0.30 cache read,
// $3.75 5-minute write, $6 1-hour write per million):
//   input  10,000 + 2,000 + 1,000         = 13,000  × $3    = $0.039
//   output 40,000 + 60,000 + 20,000       = 120,000 × $15   = $1.800
//   cache read 100,000 + 150,000 + 160,000 = 410,000 × $0.30 = $0.123
//   5m writes 20,000                                × $3.75 = $0.075
//   1h writes 30,000                                × $6    = $0.180
//                                                     total  $2.217
const transcript = lines(
  claudeUserLine('Fix the authentication bug'),
  // A: three content-block lines, all repeating the same usage.
  claudeReply({ id: 'msg_A', requestId: 'req_A', model: SONNET, blocks: 3,
    usage: { input_tokens: 10_000, output_tokens: 40_000, cache_read_input_tokens: 100_000, cache_creation_input_tokens: 20_000 } }),
  claudeUserLine('tool result'),
  // B: two lines; the first still carries message_start's usage (output so far: 1).
  claudeReply({ id: 'msg_B', requestId: 'req_B', model: SONNET, blocks: 2,
    earlyUsage: { input_tokens: 2_000, output_tokens: 1, cache_read_input_tokens: 150_000 },
    usage: { input_tokens: 2_000, output_tokens: 60_000, cache_read_input_tokens: 150_000 } }),
  // C: one line, its cache write made with the 1-hour TTL.
  claudeReply({ id: 'msg_C', requestId: 'req_C', model: SONNET,
    usage: { input_tokens: 1_000, output_tokens: 20_000, cache_read_input_tokens: 160_000, cache_creation_input_tokens: 30_000, one_hour: 30_000 } }),
);

describe('claude transcripts', () => {
  it('counts a reply written as several content-block lines once, with its final usage', () => {
    const s = fold(claudeParser, transcript);
    const m = s.totals[SONNET]!;
    expect(m.requests).toBe(3);
    expect(sumBands(m)).toEqual({ input: 13_000, output: 120_000, cache_read: 410_000, cache_write: 20_000, cache_write_1h: 30_000 });
  });

  it('still counts a reply once when a copy of one of its lines turns up much later', () => {
    const first = claudeReply({ id: 'msg_0', requestId: 'req_0', model: SONNET, usage: { input_tokens: 1, output_tokens: 1 } });
    const t = lines(first, ...Array.from({ length: 20 }, (_, i) => claudeReply({ id: `m${i + 1}`, requestId: `r${i + 1}`, model: SONNET, usage: { input_tokens: 1, output_tokens: 1 } })), first);
    expect(fold(claudeParser, t).totals[SONNET]!.requests).toBe(21);
  });

  it('prices a known model to the cent by hand arithmetic', () => {
    const u = summarizeUsage(fold(claudeParser, transcript).totals)!;
    expect(u.model).toBe(SONNET);
    expect(u.cost_usd).toBeCloseTo(2.217, 9);
    expect(formatCost(u.cost_usd)).toBe('$2.22');
    expect(u).toMatchObject({ input_tokens: 13_000, output_tokens: 120_000, cache_read_tokens: 410_000, cache_write_tokens: 50_000, unpriced: [] });
  });

  it('shows tokens but cost null ("?") for a model without a price, never 0', () => {
    const t = lines(claudeReply({ id: 'm1', requestId: 'r1', model: 'claude-sonnet-9-1', usage: { input_tokens: 500, output_tokens: 700 } }));
    const u = summarizeUsage(fold(claudeParser, t).totals)!;
    expect(u.cost_usd).toBeNull();
    expect(u.unpriced).toEqual(['claude-sonnet-9-1']);
    expect(u.input_tokens + u.output_tokens).toBe(1_200);
    expect(formatCost(u.cost_usd)).toBe('?');
  });

  it('leaves the total unpriced when one of several models is unknown, and lists each model', () => {
    const t = lines(
      claudeReply({ id: 'm1', requestId: 'r1', model: SONNET, usage: { input_tokens: 100_000, output_tokens: 0 } }),
      claudeReply({ id: 'm2', requestId: 'r2', model: 'claude-mystery-1', usage: { input_tokens: 10, output_tokens: 10 } }),
    );
    const u = summarizeUsage(fold(claudeParser, t).totals)!;
    expect(u.cost_usd).toBeNull();
    expect(u.models.map((m) => [m.model, m.cost_usd])).toEqual([[SONNET, 0.3], ['claude-mystery-1', null]]);
  });

  it('prices a request whose prompt passes 200K at the long-context rates, the whole request', () => {
    const t = lines(
      // 250K prompt: $6 in, $22.50 out → 1.5 + 0.225
      claudeReply({ id: 'm1', requestId: 'r1', model: SONNET, usage: { input_tokens: 50_000, cache_read_input_tokens: 200_000, output_tokens: 10_000 } }),
    );
    const u = summarizeUsage(fold(claudeParser, t).totals)!;
    expect(u.cost_usd).toBeCloseTo(50_000 * 6e-6 + 200_000 * 0.6e-6 + 10_000 * 22.5e-6, 9);
  });

  it('skips synthetic messages and entries copied from a forked session; files fast mode apart', () => {
    const t = lines(
      claudeReply({ id: 'm0', requestId: 'r0', model: '<synthetic>', usage: { input_tokens: 0, output_tokens: 0 } }),
      claudeReply({ id: 'm1', requestId: 'r1', model: SONNET, usage: { input_tokens: 100, output_tokens: 100 }, extra: { forkedFrom: { sessionId: 'parent', messageUuid: 'u' } } }),
      claudeReply({ id: 'm2', requestId: 'r2', model: 'claude-opus-4-6', usage: { input_tokens: 1_000_000, output_tokens: 0, speed: 'fast' } }),
    );
    const u = summarizeUsage(fold(claudeParser, t).totals)!;
    expect(u.models.map((m) => m.model)).toEqual(['claude-opus-4-6:fast']);
    expect(u.cost_usd).toBe(30);
  });

  it('is not fooled by a tool input that carries its own "usage" object', () => {
    const t = lines(claudeReply({ id: 'm1', requestId: 'r1', model: SONNET, blocks: 2, usage: { input_tokens: 7, output_tokens: 8 } }));
    const s = fold(claudeParser, t);
    expect(sumBands(s.totals[SONNET]!).input).toBe(7);
  });

  it('keeps the dedup keys across a pack/unpack round trip (the cache)', () => {
    const s = fold(claudeParser, transcript);
    const back = claudeParser.unpack!(JSON.parse(JSON.stringify(claudeParser.pack!(s))))!;
    for (const l of transcript.trim().split('\n')) claudeParser.line(back, l);
    expect(sumBands(back.totals[SONNET]!)).toEqual(sumBands(s.totals[SONNET]!));
  });
});
