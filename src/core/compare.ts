/**
 * `fleet compare`: the rows, the rule that marks the best candidate, and what a compare leaves
 * behind for `fleet pick --best`. Pure.
 */
import type { AgentSummary, AgentUsage } from './usage/types.js';

/** How one agent's check went. */
export interface CheckOutcome {
  /** true: exit status 0; false: failed or timed out; null: not run (no worktree, interrupted). */
  passed: boolean | null;
  exit_code: number | null;
  duration_ms: number | null;
  /** The check's output (stdout and stderr), or null when it did not run. */
  log: string | null;
  timed_out: boolean;
  /** The check created, edited or deleted files git sees (ignored files aside), or moved HEAD. */
  worktree_changed: boolean;
  /** Up to a few of the paths it changed. */
  changed_paths: string[];
  /** Why it did not run, or how it could not be run. */
  error: string | null;
}

export interface CompareChanges {
  files: number;
  added: number;
  removed: number;
  commits: number;
}

/** One agent of a compare (an element of `compare --json`). */
export interface CompareRow extends AgentSummary {
  check: CheckOutcome;
  /** Against the agent's base, as the worktree was before the check; null when it could not be read. */
  changes: CompareChanges | null;
  usage: AgentUsage | null;
  best: boolean;
}

/** A candidate's changed lines (what a reviewer has to read). */
export function changedLines(c: CompareChanges): number {
  return c.added + c.removed;
}

function hasWork(c: CompareChanges | null): c is CompareChanges {
  return c !== null && (c.files > 0 || c.commits > 0);
}

/**
 * The best-candidate rule, in order:
 *   1. only agents whose check passed and who changed something (nothing to land is no candidate);
 *   2. a worktree the check left as it was, before one it changed (that row's evidence is shakier);
 *   3. fewest changed lines (added + removed): less to review, less to go wrong;
 *   4. cheapest (an unknown cost after every known one);
 *   5. oldest (started first), then branch name, so the choice is always the same.
 * Returns the index of the best row, or -1 when no row qualifies.
 */
export function bestIndex(rows: readonly CompareRow[]): number {
  let best = -1;
  rows.forEach((row, i) => {
    if (row.check.passed !== true || !hasWork(row.changes)) return;
    if (best === -1 || compareCandidates(row, rows[best]!) < 0) best = i;
  });
  return best;
}

function compareCandidates(a: CompareRow, b: CompareRow): number {
  const cost = (r: CompareRow) => r.usage?.cost_usd ?? null;
  return (
    Number(a.check.worktree_changed) - Number(b.check.worktree_changed) ||
    changedLines(a.changes!) - changedLines(b.changes!) ||
    compareCost(cost(a), cost(b)) ||
    Date.parse(a.created_at) - Date.parse(b.created_at) ||
    a.branch.localeCompare(b.branch)
  );
}

function compareCost(a: number | null, b: number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a - b;
}

/** Mark the best row (best: true on it, false elsewhere); returns it, or null. */
export function markBest(rows: CompareRow[]): CompareRow | null {
  const i = bestIndex(rows);
  rows.forEach((r, k) => (r.best = k === i));
  return i === -1 ? null : rows[i]!;
}

/** Why the best is the best, in a few words (for the line under the table). */
export function bestReason(rows: readonly CompareRow[], best: CompareRow): string {
  const passed = rows.filter((r) => r.check.passed === true && hasWork(r.changes));
  if (passed.length === 1) return 'the only one whose check passed with changes';
  const lines = changedLines(best.changes!);
  const tiedLines = passed.filter((r) => r !== best && !r.check.worktree_changed === !best.check.worktree_changed && changedLines(r.changes!) === lines);
  if (tiedLines.length === 0) return `check passed, fewest changed lines (${lines})`;
  const tiedCost = tiedLines.filter((r) => compareCost(r.usage?.cost_usd ?? null, best.usage?.cost_usd ?? null) === 0);
  if (tiedCost.length === 0) return `check passed, fewest changed lines (${lines}), then cheapest`;
  return `check passed, fewest changed lines (${lines}), same cost, started first`;
}

/** "passed in 12.3 s", "failed (exit 1) in 4.0 s", "timed out after 60 s", "not run: …". */
export function formatCheck(c: CheckOutcome): string {
  const took = c.duration_ms === null ? '' : ` in ${formatDuration(c.duration_ms)}`;
  if (c.timed_out) return `timed out after ${formatDuration(c.duration_ms ?? 0)}`;
  if (c.passed === true) return `passed${took}`;
  if (c.passed === false) return c.exit_code === null ? `failed${took}` : `failed (exit ${c.exit_code})${took}`;
  return `not run${c.error ? `: ${c.error}` : ''}`;
}

/** 850 → "0.9 s", 12_345 → "12.3 s", 125_000 → "2m 5s". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m ${s % 60}s`;
}

/** "3 files +40/-12, 2 commits", "none", "?". */
export function formatCompareChanges(c: CompareChanges | null): string {
  if (!c) return '?';
  if (c.files === 0 && c.commits === 0) return 'none';
  const files = `${c.files} ${c.files === 1 ? 'file' : 'files'} +${c.added}/-${c.removed}`;
  return c.commits === 0 ? files : `${files}, ${c.commits} ${c.commits === 1 ? 'commit' : 'commits'}`;
}

/** What a compare leaves behind for `fleet pick --best`: who was compared, as what, and who won. */
export interface StoredCompare {
  version: 1;
  repo: string;
  batch: string;
  /** ISO 8601. */
  at: string;
  command: string;
  /** Each agent as it was compared: its worktree after the check (HEAD and a tree of its files). */
  members: StoredMember[];
  best: string | null;
}

export interface StoredMember {
  branch: string;
  created_at: string;
  /** null when it had no worktree (its branch tip is in `head` then, or null). */
  head: string | null;
  tree: string | null;
}

/** How the batch differs now from when it was compared, in words; null when it is the same. */
export function batchDrift(stored: StoredCompare, now: readonly StoredMember[]): string | null {
  const key = (m: StoredMember) => `${m.branch}\0${m.created_at}`;
  const before = new Map(stored.members.map((m) => [key(m), m]));
  const after = new Map(now.map((m) => [key(m), m]));
  const goneAll = stored.members.filter((m) => !after.has(key(m))).map((m) => m.branch);
  const addedAll = now.filter((m) => !before.has(key(m))).map((m) => m.branch);
  const remade = addedAll.filter((b) => goneAll.includes(b));
  const gone = goneAll.filter((b) => !remade.includes(b));
  const added = addedAll.filter((b) => !remade.includes(b));
  if (gone.length > 0 || added.length > 0 || remade.length > 0) {
    const parts = [];
    if (added.length > 0) parts.push(`${quoteList(added)} joined`);
    if (gone.length > 0) parts.push(`${quoteList(gone)} ${gone.length === 1 ? 'is' : 'are'} gone`);
    if (remade.length > 0) parts.push(`${quoteList(remade)} ${remade.length === 1 ? 'is a new agent' : 'are new agents'} on the same branch`);
    return `its agents are not the same (${parts.join('; ')})`;
  }
  const moved = now.filter((m) => {
    const b = before.get(key(m))!;
    return b.head !== m.head || b.tree !== m.tree;
  });
  if (moved.length > 0) return `${quoteList(moved.map((m) => m.branch))} ${moved.length === 1 ? 'has' : 'have'} new commits or changed files`;
  return null;
}

function quoteList(names: readonly string[]): string {
  const q = names.slice(0, 3).map((n) => `"${n}"`);
  if (names.length > 3) q.push(`${names.length - 3} more`);
  return q.join(', ');
}
