import { describe, expect, it } from 'vitest';
import { batchDrift, bestIndex, bestReason, formatCheck, formatCompareChanges, markBest, type CheckOutcome, type CompareRow, type StoredCompare } from '../../src/core/compare.js';
import type { AgentUsage } from '../../src/core/usage/types.js';

const check = (c: Partial<CheckOutcome>): CheckOutcome => ({
  passed: true, exit_code: 0, duration_ms: 1000, log: '/l', timed_out: false, worktree_changed: false, changed_paths: [], error: null, ...c,
});
const usage = (cost: number | null): AgentUsage => ({
  model: 'm', input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: cost, models: [], unpriced: cost === null ? ['m'] : [],
});
function row(branch: string, opts: { check?: Partial<CheckOutcome>; lines?: number; files?: number; commits?: number; cost?: number | null; at?: number } = {}): CompareRow {
  const lines = opts.lines ?? 10;
  return {
    repo: '/r', branch, batch_id: 'b', agent: 'claude', status: 'done',
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, opts.at ?? 0)).toISOString(),
    check: check(opts.check ?? {}),
    changes: { files: opts.files ?? 1, added: lines, removed: 0, commits: opts.commits ?? 1 },
    usage: opts.cost === undefined ? null : usage(opts.cost),
    best: false,
  };
}
const best = (rows: CompareRow[]) => rows[bestIndex(rows)]?.branch ?? null;

describe('the best candidate', () => {
  it('is an agent whose check passed, never a failed or timed-out one however small', () => {
    expect(best([row('fail', { lines: 1, check: { passed: false, exit_code: 1 } }), row('slow', { lines: 1, check: { passed: false, timed_out: true } }), row('ok', { lines: 500 })])).toBe('ok');
    expect(best([row('fail', { check: { passed: false, exit_code: 1 } }), row('none', { check: { passed: null, error: 'its worktree is gone' } })])).toBeNull();
  });

  it('must have changed something: an agent with nothing to land is no candidate', () => {
    expect(best([row('idle', { lines: 0, files: 0, commits: 0 }), row('worked', { lines: 40 })])).toBe('worked');
    // Commits that cancel out still count as work to look at; only "nothing at all" is left out.
    expect(best([row('idle', { lines: 0, files: 0, commits: 0 })])).toBeNull();
  });

  it('prefers a worktree the check left alone, then fewest changed lines, then the cheapest, then the oldest', () => {
    expect(best([row('changed', { lines: 1, check: { worktree_changed: true } }), row('clean', { lines: 90 })])).toBe('clean');
    expect(best([row('big', { lines: 90, cost: 0.1 }), row('small', { lines: 12, cost: 9 })])).toBe('small');
    expect(best([row('dear', { lines: 12, cost: 2 }), row('cheap', { lines: 12, cost: 1 })])).toBe('cheap');
    // An unknown cost ranks after every known one (it might be anything).
    expect(best([row('unknown', { lines: 12, cost: null }), row('known', { lines: 12, cost: 40 })])).toBe('known');
    expect(best([row('b-later', { lines: 12, cost: 1, at: 5 }), row('a-first', { lines: 12, cost: 1, at: 1 })])).toBe('a-first');
    expect(best([row('b', { lines: 12 }), row('a', { lines: 12 })])).toBe('a');
  });

  it('markBest flags exactly one row and says why in words', () => {
    const rows = [row('x', { lines: 30, cost: 1 }), row('y', { lines: 30, cost: 0.5 }), row('z', { check: { passed: false, exit_code: 2 } })];
    expect(markBest(rows)!.branch).toBe('y');
    expect(rows.map((r) => r.best)).toEqual([false, true, false]);
    expect(bestReason(rows, rows[1]!)).toBe('check passed, fewest changed lines (30), then cheapest');
    expect(bestReason([rows[1]!], rows[1]!)).toBe('the only one whose check passed with changes');
  });
});

describe('compare cells', () => {
  it('says how each check went', () => {
    expect(formatCheck(check({ duration_ms: 12_345 }))).toBe('passed in 12.3 s');
    expect(formatCheck(check({ passed: false, exit_code: 3, duration_ms: 400 }))).toBe('failed (exit 3) in 0.4 s');
    expect(formatCheck(check({ passed: false, exit_code: null, timed_out: true, duration_ms: 125_000 }))).toBe('timed out after 2m 5s');
    expect(formatCheck(check({ passed: null, duration_ms: null, error: 'its worktree is gone' }))).toBe('not run: its worktree is gone');
  });

  it('counts files, lines and commits with plurals right', () => {
    expect(formatCompareChanges({ files: 1, added: 2, removed: 0, commits: 1 })).toBe('1 file +2/-0, 1 commit');
    expect(formatCompareChanges({ files: 3, added: 40, removed: 12, commits: 0 })).toBe('3 files +40/-12');
    expect(formatCompareChanges({ files: 0, added: 0, removed: 0, commits: 0 })).toBe('none');
    expect(formatCompareChanges(null)).toBe('?');
  });
});

describe('what pick --best checks', () => {
  const stored: StoredCompare = {
    version: 1, repo: '/r', batch: 'b', at: '2026-01-01T00:00:00Z', command: 'npm test', best: 'b-1',
    members: [
      { branch: 'b-1', created_at: 't1', head: 'h1', tree: 't-a' },
      { branch: 'b-2', created_at: 't2', head: 'h2', tree: 't-b' },
    ],
  };
  it('nothing changed: no drift', () => {
    expect(batchDrift(stored, stored.members.map((m) => ({ ...m })))).toBeNull();
  });
  it('a new commit or an edited file in any agent is drift', () => {
    expect(batchDrift(stored, [stored.members[0]!, { ...stored.members[1]!, tree: 't-c' }])).toBe('"b-2" has new commits or changed files');
    expect(batchDrift(stored, [{ ...stored.members[0]!, head: 'h9' }, stored.members[1]!])).toBe('"b-1" has new commits or changed files');
  });
  it('an agent gone, one added, or one made again on the same branch is drift', () => {
    expect(batchDrift(stored, [stored.members[0]!])).toBe('its agents are not the same ("b-2" is gone)');
    expect(batchDrift(stored, [...stored.members, { branch: 'b-3', created_at: 't3', head: 'h3', tree: 't' }])).toBe('its agents are not the same ("b-3" joined)');
    expect(batchDrift(stored, [stored.members[0]!, { ...stored.members[1]!, created_at: 'later' }])).toBe('its agents are not the same ("b-2" is a new agent on the same branch)');
  });
});
