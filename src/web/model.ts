/**
 * What the page makes of the agent list: who needs the user, how batches are grouped and
 * ordered, what a status change is worth a notification. Pure and free of DOM and Node, so the
 * page bundles it and unit tests run it.
 */
import { formatChanges } from '../core/changes.js';
import { formatAge, formatBytes } from '../core/format.js';
import { needsUser, settled } from '../core/agent-state.js';
import { overBudgetReason } from '../core/usage/budget.js';
import { costWithBudget } from '../core/usage/format.js';
// Types only (erased): the page bundles none of the adapter's code.
import type { AgentRow } from './fleet-ops.js';

/**
 * An agent as the server sends it: a list row as the adapter gives it (`fleet list --json`'s
 * fields), plus the fields later versions of fleet add, each optional so the page works without.
 */
export type Row = AgentRow & {
  state_reason?: string | null;
  state_since?: string | null;
  usage?: Usage | null;
};

export interface Usage {
  model?: string | null;
  input_tokens?: number;
  output_tokens?: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
  /** null (or absent) when the model's price is unknown: shown as "?", never 0. */
  cost_usd?: number | null;
}

/** How much an agent needs the user, most first. */
export type Attention = 'urgent' | 'needs-you' | 'busy';

const RANK: Record<Attention, number> = { urgent: 0, 'needs-you': 1, busy: 2 };

/** What attention and notifications read of a row. */
export interface Need extends Spend {
  status: string;
  state_reason?: string | null;
}

/** What cost and budget read of a row. */
export interface Spend {
  usage?: { cost_usd?: number | null } | null;
  budget_usd?: number | null;
}

/** Has its cost passed its budget? The rule list's reason comes from (core/usage/budget). */
export function isOverBudget(r: Spend): boolean {
  return overBudgetOf(r) !== null;
}

function overBudgetOf(r: Spend): string | null {
  return overBudgetReason(r.usage ? { cost_usd: r.usage.cost_usd ?? null } : null, r.budget_usd ?? null);
}

/**
 * The rule of `fleet list`, `wait` and `next` (core/agent-state): urgent when it needs the user
 * now (a dialog open, or starting so long one may be); needs you when it has settled (done,
 * quiet, ended, gone) or spent past its budget; busy otherwise.
 */
export function attentionOf(r: Need): Attention {
  const v = { status: r.status, reason: r.state_reason ?? null };
  if (needsUser(v)) return 'urgent';
  if (settled(v) || isOverBudget(r)) return 'needs-you';
  return 'busy';
}

/** Statuses whose agent process runs, so CPU and memory mean something. */
export function isLive(status: string): boolean {
  return !['exited', 'missing', 'worktree-missing', 'setup-failed', 'creating'].includes(status);
}

/** "exited (3)", "waiting", … */
export function statusText(r: Pick<Row, 'status' | 'exit_code'>): string {
  return r.status === 'exited' && r.exit_code !== null ? `exited (${r.exit_code})` : r.status;
}

/** Why it is in this status, when fleet knows: the agent's own reason, or an exit's status. */
export function reasonText(r: Pick<Row, 'status' | 'exit_code' | 'state_reason'>): string | null {
  if (r.state_reason) return r.state_reason;
  if (r.status === 'exited') return r.exit_code === null ? 'the agent ended' : r.exit_code === 0 ? 'the agent ended normally' : `the agent ended with status ${r.exit_code}`;
  if (r.status === 'missing') return 'its tmux session is gone (fleet prune)';
  if (r.status === 'worktree-missing') return 'its worktree directory was deleted (fleet prune)';
  if (r.status === 'setup-failed') return 'its set-up was interrupted (fleet prune)';
  return null;
}

/**
 * As list's COST column: "$0.42", "?" for an unknown price, "$4.12/$4.00" with a budget; null
 * when fleet reports neither usage nor a budget for this agent.
 */
export function costText(r: Spend): string | null {
  if (!r.usage && (r.budget_usd === null || r.budget_usd === undefined)) return null;
  return costWithBudget(r.usage ? { cost_usd: typeof r.usage.cost_usd === 'number' ? r.usage.cost_usd : null } : null, r.budget_usd ?? null);
}

/** "12k in · 3.4k out", or null without usage. */
export function tokensText(u: Usage | null | undefined): string | null {
  if (!u || (u.input_tokens === undefined && u.output_tokens === undefined)) return null;
  const k = (n: number | undefined) => (n === undefined ? '?' : n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n));
  return `${k(u.input_tokens)} in · ${k(u.output_tokens)} out`;
}

/** The figures line of a card: CPU, memory, changes, each only when known (the cost is shown apart: costText). */
export function figures(r: Row): string[] {
  const out: string[] = [];
  if (isLive(r.status)) {
    if (r.cpu !== null) out.push(`cpu ${r.cpu.toFixed(1)}%`);
    if (r.memory !== null) out.push(formatBytes(r.memory));
  }
  if (r.changes !== undefined && r.changes !== null) out.push(r.changes.files === 0 ? 'no changes' : formatChanges(r.changes));
  return out;
}

export function ageText(r: Pick<Row, 'created_at'>, now: number): string {
  const t = Date.parse(r.created_at);
  return Number.isFinite(t) ? formatAge(now - t) : '?';
}

export interface Group {
  /** The batch id, or null for agents outside any batch. */
  batch: string | null;
  rows: Row[];
  /** The most pressing attention among its agents. */
  attention: Attention;
  /** How many of its agents need the user. */
  needy: number;
}

/** Most pressing first; among the urgent ones, the one waiting longest first (as list); then by age. */
const byNeed = (a: Row, b: Row) =>
  RANK[attentionOf(a)] - RANK[attentionOf(b)] ||
  (attentionOf(a) === 'urgent' ? sinceOf(a) - sinceOf(b) : 0) ||
  a.created_at.localeCompare(b.created_at) ||
  a.branch.localeCompare(b.branch);

function sinceOf(r: Row): number {
  const t = r.state_since ? Date.parse(r.state_since) : NaN;
  return Number.isFinite(t) ? t : Infinity;
}

/**
 * Agents grouped by batch (and repository, under --all). Within a group the ones that need the
 * user come first; groups with an agent that needs the user come first. Agents outside any batch
 * form one group each, so an urgent one is never buried under a quiet batch.
 */
export function groupRows(rows: readonly Row[]): Group[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = r.batch_id === null ? `solo\0${r.repo}\0${r.branch}` : `batch\0${r.repo}\0${r.batch_id}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const out: Group[] = [...groups.values()].map((members) => {
    const sorted = [...members].sort(byNeed);
    const attention = attentionOf(sorted[0]!);
    return { batch: sorted[0]!.batch_id, rows: sorted, attention, needy: sorted.filter((r) => attentionOf(r) !== 'busy').length };
  });
  return out.sort((a, b) => RANK[a.attention] - RANK[b.attention] || byNeed(a.rows[0]!, b.rows[0]!));
}

export interface Notice {
  session: string;
  /** One per agent and kind, so a newer notification of the same kind replaces the older. */
  tag: string;
  title: string;
  body: string;
}

/** What the page last saw of an agent, to tell a change from a repeat. */
export interface Seen {
  status: string;
  urgent: boolean;
  over: boolean;
}

export function seenOf(rows: readonly Row[]): Map<string, Seen> {
  return new Map(rows.map((r) => [r.session, { status: r.status, urgent: attentionOf(r) === 'urgent', over: isOverBudget(r) }]));
}

/**
 * Notifications for the agents that just started needing the user (a dialog, or a start stuck
 * at one), finished their turn, exited or went over their budget, naming the agent and why:
 * once per change, never again for the same state. The first list a page sees is not news.
 */
export function noticesBetween(prev: ReadonlyMap<string, Seen> | null, rows: readonly Row[], opts: { showRepo?: boolean } = {}): Notice[] {
  if (!prev) return [];
  const out: Notice[] = [];
  for (const r of rows) {
    const before = prev.get(r.session);
    if (before === undefined) continue;
    const name = opts.showRepo ? `${r.branch} (${r.repo.split('/').pop()})` : r.branch;
    const urgent = attentionOf(r) === 'urgent';
    const why = reasonText(r);
    let what: string | null = null;
    if (urgent && !before.urgent) what = 'needs you';
    else if (r.status !== before.status && r.status === 'done') what = 'is done';
    else if (r.status !== before.status && r.status === 'exited') what = 'exited';
    if (what !== null) {
      const body = why ?? (r.status === 'done' ? 'finished its turn' : r.status === 'waiting' ? 'waiting for you' : '');
      out.push({ session: r.session, tag: `${r.session}:state`, title: `${name} ${what}`, body });
    }
    const over = overBudgetOf(r);
    if (over !== null && !before.over) out.push({ session: r.session, tag: `${r.session}:budget`, title: `${name} is over budget`, body: over.replace(/^over budget /, 'it has spent ') });
  }
  return out;
}

/** One line of a unified diff, classified for colouring. */
export type DiffLineKind = 'file' | 'meta' | 'hunk' | 'add' | 'del' | 'context';

export interface DiffFile {
  /** The path (b/ side; a/ side for a deletion). */
  path: string;
  lines: { kind: DiffLineKind; text: string }[];
  added: number;
  removed: number;
}

/** Split `git diff` output into files and classify each line. */
export function parseDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let cur: DiffFile | null = null;
  let inHunk = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      const m = / b\/(.*)$/.exec(line);
      cur = { path: m?.[1] ?? line.slice(11), lines: [{ kind: 'file', text: line }], added: 0, removed: 0 };
      files.push(cur);
      inHunk = false;
      continue;
    }
    if (!cur) continue;
    if (line.startsWith('@@')) {
      inHunk = true;
      cur.lines.push({ kind: 'hunk', text: line });
    } else if (!inHunk) {
      if (line.startsWith('+++ ') && line !== '+++ /dev/null') cur.path = line.replace(/^\+\+\+ (b\/)?/, '');
      cur.lines.push({ kind: 'meta', text: line });
    } else if (line.startsWith('+')) {
      cur.added++;
      cur.lines.push({ kind: 'add', text: line });
    } else if (line.startsWith('-')) {
      cur.removed++;
      cur.lines.push({ kind: 'del', text: line });
    } else if (line !== '' || cur.lines.length > 0) {
      cur.lines.push({ kind: 'context', text: line });
    }
  }
  // The text ends with a newline: drop the empty line it leaves.
  for (const f of files) while (f.lines.length > 1 && f.lines[f.lines.length - 1]!.kind === 'context' && f.lines[f.lines.length - 1]!.text === '') f.lines.pop();
  return files;
}
