import { describe, expect, it } from 'vitest';
import { codexParser } from '../../src/core/usage/codex.js';
import { geminiParser } from '../../src/core/usage/gemini.js';
import { summarizeUsage } from '../../src/core/usage/summary.js';
import { sumBands } from '../../src/core/usage/types.js';
import { codex, fold, gemini, lines } from '../helpers/transcripts.js';

describe('codex rollouts', () => {
  // total_token_usage is cumulative: each response adds its usage to it, and token_count events
  // repeat unchanged totals (a rate-limit refresh), so summing per event would count twice.
  const rollout = lines(
    codex.sessionMeta(),
    codex.tokenCount(null), // rate limits only, before any response
    codex.turnContext('gpt-6.1-sol'),
    codex.message('working'),
    codex.tokenCount({ input: 100_000, cached: 80_000, output: 5_000, reasoning: 3_000 }),
    codex.tokenCount({ input: 100_000, cached: 80_000, output: 5_000, reasoning: 3_000 }), // repeat
    codex.tokenCount({ input: 250_000, cached: 200_000, output: 9_000 }, { input: 150_000, cached: 120_000, output: 4_000 }),
    codex.turnContext('gpt-6-luna'),
    codex.tokenCount({ input: 300_000, cached: 240_000, output: 10_000 }, { input: 50_000, cached: 40_000, output: 1_000 }),
  );

  it('takes differences of the cumulative totals, each filed under the model of its turn', () => {
    const s = fold(codexParser, rollout);
    // gpt-6.1-sol: totals up to 250K/200K/9K; the cached part is not fresh input.
    expect(sumBands(s.totals['gpt-6.1-sol']!)).toEqual({ input: 50_000, cache_read: 200_000, output: 9_000, cache_write: 0, cache_write_1h: 0 });
    expect(s.totals['gpt-6.1-sol']!.requests).toBe(2);
    expect(sumBands(s.totals['gpt-6-luna']!)).toEqual({ input: 10_000, cache_read: 40_000, output: 1_000, cache_write: 0, cache_write_1h: 0 });
    const u = summarizeUsage(s.totals)!;
    expect(u.input_tokens + u.cache_read_tokens).toBe(300_000);
    // 6.1 Sol: 50K × $2 + 200K × $0.10 + 9K × $10; 6 Luna: 10K × $0.10 + 40K × $0.01 + 1K × $0.50 (per million)
    expect(u.cost_usd).toBeCloseTo(0.1 + 0.02 + 0.09 + 0.001 + 0.0004 + 0.0005, 9);
  });

  it('counts a restarted counter (totals going down) as new usage', () => {
    const s = fold(codexParser, lines(
      codex.turnContext('gpt-6-sol'),
      codex.tokenCount({ input: 10_000, cached: 0, output: 1_000 }),
      codex.tokenCount({ input: 4_000, cached: 0, output: 500 }),
    ));
    expect(sumBands(s.totals['gpt-6-sol']!)).toMatchObject({ input: 14_000, output: 1_500 });
  });

  it('splits cache writes out of input and prices them; files usage before any turn_context as "unknown"', () => {
    const s = fold(codexParser, lines(codex.tokenCount({ input: 1_000, cached: 200, write: 300, output: 10 })));
    expect(sumBands(s.totals.unknown!)).toMatchObject({ input: 500, cache_read: 200, cache_write: 300 });
    expect(summarizeUsage(s.totals)!.cost_usd).toBeNull();
  });

  it('uses the last response\'s prompt for long-context pricing (> 272K on GPT-6 Astra)', () => {
    const s = fold(codexParser, lines(
      codex.turnContext('gpt-6-astra'),
      codex.tokenCount({ input: 300_000, cached: 0, output: 1_000 }),
    ));
    expect(summarizeUsage(s.totals)!.cost_usd).toBeCloseTo(300_000 * 20e-6 + 1_000 * 75e-6, 9);
  });
});

describe('gemini chat recordings', () => {
  const recording = lines(
    gemini.metadata(),
    gemini.user('u1', 'fix the bug'),
    // Recorded without tokens, then appended again when the tokens arrive, then again with tool calls.
    gemini.reply('g1', 'gemini-2.5-pro', null),
    gemini.reply('g1', 'gemini-2.5-pro', { input: 12_000, cached: 8_000, output: 1_000, thoughts: 2_000 }),
    gemini.reply('g1', 'gemini-2.5-pro', { input: 12_000, cached: 8_000, output: 1_000, thoughts: 2_000 }, { toolCalls: [{ id: 't1', name: 'shell' }] }),
    gemini.set({ lastUpdated: '2026-11-27T10:00:02.000Z' }),
    // A synthetic message: tokens but no model → the chat's current model.
    gemini.reply('g2', undefined, { input: 20_000, cached: 0, output: 100, tool: 500 }),
    gemini.rewind('g2'), // hidden from the chat, but it was billed
  );

  it('counts each message once by id with its latest tokens; cached input is not fresh; thinking is output', () => {
    const s = fold(geminiParser, recording);
    expect(sumBands(s.totals['gemini-2.5-pro']!)).toEqual({ input: 4_000 + 20_500, cache_read: 8_000, output: 3_000 + 100, cache_write: 0, cache_write_1h: 0 });
    expect(s.totals['gemini-2.5-pro']!.requests).toBe(2);
    // $1.25 in, $0.125 cached, $10 out per million (prompts ≤ 200K)
    expect(summarizeUsage(s.totals)!.cost_usd).toBeCloseTo(24_500 * 1.25e-6 + 8_000 * 0.125e-6 + 3_100 * 10e-6, 9);
  });

  it('replaces a message whose tokens changed instead of adding them again', () => {
    const s = fold(geminiParser, lines(
      gemini.reply('g1', 'gemini-2.5-flash', { input: 100, cached: 0, output: 10 }),
      gemini.reply('g1', 'gemini-2.5-flash', { input: 300, cached: 0, output: 30 }),
    ));
    expect(sumBands(s.totals['gemini-2.5-flash']!)).toMatchObject({ input: 300, output: 30 });
  });

  it('reads a legacy whole-file .json recording', () => {
    const s = geminiParser.init();
    geminiParser.whole!(s, JSON.stringify({
      sessionId: 's', projectHash: 'p', startTime: 't', lastUpdated: 't',
      messages: [JSON.parse(gemini.reply('g1', 'gemini-3-pro-preview', { input: 250_000, cached: 0, output: 1_000 }))],
    }, null, 2));
    // prompt over 200K: $4 in, $18 out
    expect(summarizeUsage(s.totals)!.cost_usd).toBeCloseTo(250_000 * 4e-6 + 1_000 * 18e-6, 9);
  });
});
