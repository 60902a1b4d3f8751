/**
 * What the page makes of the agent list: who needs the user, how batches are grouped and
 * ordered, what a status change is worth a notification. Pure and free of DOM and Node, so the
 * page bundles it and unit tests run it.
 */
import { formatChanges } from '../core/changes.js';
import { formatAge, formatBytes } from '../core/format.js';
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

const URGENT = new Set(['waiting']);
const NEEDS_YOU = new Set(['done', 'idle', 'exited', 'missing', 'worktree-missing', 'setup-failed']);
const RANK: Record<Attention, number> = { urgent: 0, 'needs-you': 1, busy: 2 };

export function attentionOf(status: string): Attention {
  if (URGENT.has(status)) return 'urgent';
  if (NEEDS_YOU.has(status)) return 'needs-you';
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

/** "$0.42", "?" for an unknown price, null when fleet reports no usage for this agent. */
export function costText(u: Usage | null | undefined): string | null {
  if (!u) return null;
  if (typeof u.cost_usd !== 'number') return '?';
  return u.cost_usd < 0.01 && u.cost_usd > 0 ? '<$0.01' : `$${u.cost_usd.toFixed(2)}`;
}

/** "12k in · 3.4k out", or null without usage. */
export function tokensText(u: Usage | null | undefined): string | null {
  if (!u || (u.input_tokens === undefined && u.output_tokens === undefined)) return null;
  const k = (n: number | undefined) => (n === undefined ? '?' : n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n));
  return `${k(u.input_tokens)} in · ${k(u.output_tokens)} out`;
}

/** The figures line of a card: CPU, memory, changes, cost, each only when known. */
export function figures(r: Row): string[] {
  const out: string[] = [];
  if (isLive(r.status)) {
    if (r.cpu !== null) out.push(`cpu ${r.cpu.toFixed(1)}%`);
    if (r.memory !== null) out.push(formatBytes(r.memory));
  }
  if (r.changes !== undefined && r.changes !== null) out.push(r.changes.files === 0 ? 'no changes' : formatChanges(r.changes));
  const cost = costText(r.usage);
  if (cost !== null) out.push(cost);
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

const byNeed = (a: Row, b: Row) => RANK[attentionOf(a.status)] - RANK[attentionOf(b.status)] || a.created_at.localeCompare(b.created_at) || a.branch.localeCompare(b.branch);

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
    const attention = attentionOf(sorted[0]!.status);
    return { batch: sorted[0]!.batch_id, rows: sorted, attention, needy: sorted.filter((r) => attentionOf(r.status) !== 'busy').length };
  });
  return out.sort((a, b) => RANK[a.attention] - RANK[b.attention] || byNeed(a.rows[0]!, b.rows[0]!));
}

export interface Notice {
  session: string;
  title: string;
  body: string;
}

/** Statuses worth telling the user about when an agent enters them. */
const NOTIFY = new Set(['waiting', 'done', 'exited']);

/**
 * Notifications for the agents that just started waiting, finished their turn or exited,
 * naming the agent and why. The first list a page sees is not news.
 */
export function noticesBetween(prev: ReadonlyMap<string, string> | null, rows: readonly Row[], opts: { showRepo?: boolean } = {}): Notice[] {
  if (!prev) return [];
  const out: Notice[] = [];
  for (const r of rows) {
    const before = prev.get(r.session);
    if (before === undefined || before === r.status || !NOTIFY.has(r.status)) continue;
    const name = opts.showRepo ? `${r.branch} (${r.repo.split('/').pop()})` : r.branch;
    const what = r.status === 'waiting' ? 'needs you' : r.status === 'done' ? 'is done' : 'exited';
    const why = reasonText(r) ?? (r.status === 'done' ? 'finished its turn' : r.status === 'waiting' ? 'waiting for you' : '');
    out.push({ session: r.session, title: `${name} ${what}`, body: why });
  }
  return out;
}

export function statusMap(rows: readonly Row[]): Map<string, string> {
  return new Map(rows.map((r) => [r.session, r.status]));
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
