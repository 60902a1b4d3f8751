import type { AgentRecord } from '../state/types.js';
import { formatCost, formatTokens, totalTokens } from '../core/usage/format.js';
import { paint } from './output.js';
import { cutTo, renderTable, type Column } from './table.js';

/** What grouping needs of a list row. */
export interface GroupableRow {
  repo: string;
  branch: string;
  batch_id: string | null;
  /** Its tokens and cost, where the row has them (list adds them up per batch). */
  usage?: { input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number; cost_usd: number | null } | null;
}

interface Group<T> {
  batch: string | null;
  rows: T[];
  prompts: string[];
}

/**
 * `list --grouped`: the same columns as `list`, rows under a header per batch (its id, size and
 * prompt), batches in the order they were made, agents without a batch last. One table for all
 * rows, so the columns line up across batches.
 */
export async function renderGrouped<T extends GroupableRow>(
  columns: Column<T>[],
  rows: readonly T[],
  opts: { color: boolean; records: readonly AgentRecord[]; width?: number },
): Promise<string> {
  const groups = groupRows(rows, opts.records);
  // A batch with one prompt per agent (multi) and agents without a batch show each prompt in a
  // prompt column; a batch with one prompt for all has it in its header already. No prompt
  // to show (none recorded): no column.
  const variedRows = new Map<T, string>();
  for (const g of groups) if (g.batch === null || new Set(g.prompts).size > 1) g.rows.forEach((r, i) => variedRows.set(r, g.prompts[i]!));
  const anyPrompt = [...variedRows.values()].some((p) => p.trim() !== '');
  const promptColumn: Column<T> = { head: 'prompt', cell: (r) => oneLine(variedRows.get(r) ?? '', 40), fit: { cut: 'end', min: 12, drop: 2 } };
  const cols: Column<T>[] = anyPrompt ? [...columns, promptColumn] : columns;
  const ordered = groups.flatMap((g) => g.rows);
  // Rows are indented by 2 under their batch's title.
  const width = opts.width === undefined ? undefined : Math.max(1, opts.width - 2);
  const lines = (await renderTable(cols, ordered, { color: opts.color, width })).split('\n');
  // The batch's cost before its prompt, so a narrow terminal cuts the prompt first.
  const title = (g: Group<T>) => groupTitle({ ...g, usage: batchUsage(g.rows) });
  const header = (g: Group<T>) => paint(opts.width === undefined ? title(g) : cutTo(title(g), opts.width, 'end'), 'bold', opts.color);

  if (lines.length !== ordered.length + 1) {
    // A cell spread over several lines: fall back to one table per batch.
    const parts: string[] = [];
    for (const g of groups) parts.push(header(g), indent(await renderTable(cols, g.rows, { color: opts.color, width })));
    return parts.join('\n');
  }
  const out = [`  ${lines[0]}`];
  let i = 1;
  for (const g of groups) {
    out.push(header(g));
    for (let k = 0; k < g.rows.length; k++) out.push(`  ${lines[i++]}`);
  }
  return out.join('\n');
}

/** Rows by batch (repo + batch id), batches in first-seen order, no-batch last; natural branch order inside. */
export function groupRows<T extends GroupableRow>(rows: readonly T[], records: readonly AgentRecord[]): Group<T>[] {
  const prompt = new Map(records.map((r) => [`${r.repo}\0${r.branch}`, r.prompt_preview]));
  const groups = new Map<string, Group<T>>();
  let loose: Group<T> | null = null;
  for (const row of rows) {
    let g: Group<T>;
    if (row.batch_id === null) g = loose ??= { batch: null, rows: [], prompts: [] };
    else {
      const key = `${row.repo}\0${row.batch_id}`;
      g = groups.get(key) ?? { batch: row.batch_id, rows: [], prompts: [] };
      groups.set(key, g);
    }
    g.rows.push(row);
    g.prompts.push(prompt.get(`${row.repo}\0${row.branch}`) ?? '');
  }
  const natural = new Intl.Collator(undefined, { numeric: true });
  const out = [...groups.values(), ...(loose ? [loose] : [])];
  for (const g of out) {
    const order = g.rows.map((r, i) => ({ r, p: g.prompts[i]! })).sort((a, b) => natural.compare(a.r.branch, b.r.branch));
    g.rows = order.map((o) => o.r);
    g.prompts = order.map((o) => o.p);
  }
  return out;
}

/** `cmp · 3 agents · "Refactor the auth module"` */
export function groupTitle(g: { batch: string | null; rows: readonly unknown[]; prompts: readonly string[]; usage?: string }): string {
  const n = `${g.rows.length} agent${g.rows.length === 1 ? '' : 's'}${g.usage ?? ''}`;
  if (g.batch === null) return `no batch · ${n}`;
  const distinct = new Set(g.prompts);
  const prompt = distinct.size === 1 ? (g.prompts[0] ? `"${oneLine(g.prompts[0], 70)}"` : 'prompt not recorded') : `${distinct.size} different prompts`;
  return `${g.batch} · ${n} · ${prompt}`;
}

/** " · 1.2M tokens · $3.40" for a batch whose agents have usage ("?" when a model has no price); "" otherwise. */
export function batchUsage(rows: readonly GroupableRow[]): string {
  const used = rows.map((r) => r.usage).filter((u) => u !== null && u !== undefined);
  if (used.length === 0) return '';
  const tokens = used.reduce((n, u) => n + totalTokens(u), 0);
  const cost = used.some((u) => u.cost_usd === null) ? null : used.reduce((n, u) => n + u.cost_usd!, 0);
  return ` · ${formatTokens(tokens)} tokens · ${formatCost(cost)}`;
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}

function indent(s: string): string {
  return s.split('\n').map((l) => `  ${l}`).join('\n');
}
