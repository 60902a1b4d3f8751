import { describe, expect, it } from 'vitest';
import { costReport, modelLabel, parseSince, type CostAgent } from '../../src/core/usage/report.js';
import { addUsage, zeroCounts, type UsageTotals } from '../../src/core/usage/types.js';

function totals(parts: Record<string, { input: number; output: number }>): UsageTotals {
  const t: UsageTotals = {};
  for (const [model, c] of Object.entries(parts)) addUsage(t, model, 0, { ...zeroCounts(), ...c });
  return t;
}
const agent = (branch: string): Omit<CostAgent, 'usage'> => ({
  repo: '/r', branch, batch_id: null, agent: 'claude', status: 'done', created_at: '2026-11-27T10:00:00Z', ended_at: null, budget_usd: null,
});

describe('fleet cost report', () => {
  it('totals per model across agents and overall, priced from the table', () => {
    const r = costReport([
      { agent: agent('a'), totals: totals({ 'claude-sonnet-4-5': { input: 1_000_000, output: 100_000 } }) },
      { agent: agent('b'), totals: totals({ 'claude-sonnet-4-5': { input: 1_000_000, output: 0 }, 'gpt-6.1-sol': { input: 1_000_000, output: 0 } }) },
      { agent: agent('shell'), totals: {} },
    ]);
    expect(r.agents.map((a) => a.usage?.cost_usd ?? null)).toEqual([4.5, 5, null]);
    expect(r.models.map((m) => [m.model, m.agents, m.cost_usd])).toEqual([['claude-sonnet-4-5', 2, 7.5], ['gpt-6.1-sol', 1, 2]]);
    expect(r.total).toMatchObject({ agents: 2, input_tokens: 3_000_000, output_tokens: 100_000, cost_usd: 9.5, unpriced: [] });
    expect(modelLabel(r.agents[1]!.usage)).toBe('claude-sonnet-4-5 +1');
  });

  it('leaves the total unknown, naming the model, when one has no price; an override prices it', () => {
    const items = [{ agent: agent('a'), totals: totals({ 'my-local-model': { input: 2_000_000, output: 0 }, 'claude-sonnet-4-5': { input: 1_000_000, output: 0 } }) }];
    expect(costReport(items).total).toMatchObject({ cost_usd: null, unpriced: ['my-local-model'] });
    expect(costReport(items, { 'my-local-model': { input: 0.5, output: 1 } }).total).toMatchObject({ cost_usd: 4, unpriced: [] });
  });
});

describe('--since', () => {
  const now = Date.UTC(2026, 10, 27, 12, 0, 0);
  it('takes a date (local midnight), a date and time, or a span back from now', () => {
    expect(parseSince('2026-11-01', now)).toBe(new Date(2026, 10, 1).getTime());
    expect(parseSince('2026-11-01T09:30:00Z', now)).toBe(Date.UTC(2026, 10, 1, 9, 30));
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseSince('12h', now)).toBe(now - 12 * 3_600_000);
    expect(parseSince(' 30m ', now)).toBe(now - 30 * 60_000);
  });
  it('refuses anything else as a usage error', () => {
    for (const bad of ['yesterday', '2026-02-30', '2026-13-01', '7w', '', '2026/11/01']) {
      expect(() => parseSince(bad, now)).toThrow(/is not a date/);
    }
  });
});
