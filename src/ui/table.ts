import { paint, type Colour } from './output.js';

export interface Column<T> {
  head: string;
  cell: (row: T) => string;
  align?: 'left' | 'right';
  /**
   * How the column gives way when the table is wider than the terminal: cut cells to `min`
   * characters (from the `cut` end, with …) first, then leave the column out entirely, lowest
   * `drop` first. Columns without `drop` always stay.
   */
  fit?: { cut?: 'start' | 'end'; min?: number; drop?: number };
}

/** Space between columns. */
const GAP = 2;

const ANSI = /\x1b\[[0-9;]*m/g;

/** Width on screen: escape sequences take none (wide characters are counted as one). */
export function visibleWidth(s: string): number {
  return [...s.replace(ANSI, '')].length;
}

/** `s` cut to `width` characters, with … where it was cut ("…/app/fix-auth" or "feature-lo…"). */
export function cutTo(s: string, width: number, from: 'start' | 'end'): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  if (width <= 1) return '…'.slice(0, width);
  return from === 'start' ? '…' + chars.slice(chars.length - width + 1).join('') : chars.slice(0, width - 1).join('') + '…';
}

/**
 * The columns and cells of a table fitted into `width`: cut the columns that may be cut and
 * dropped down to their minimum; then drop columns in their `drop` order; then cut the columns
 * that stay (a long branch name) — until the rows fit. What still does not fit is left as it
 * is (the terminal wraps it). Pure.
 */
export function fitColumns<T>(columns: readonly Column<T>[], cells: string[][], width: number): { columns: Column<T>[]; cells: string[][] } {
  let cols = columns.map((c, i) => ({ c, i }));
  const natural = columns.map((c, i) => Math.max(visibleWidth(c.head), ...cells.map((r) => visibleWidth(r[i]!))));
  const widths = [...natural];
  const total = () => cols.reduce((sum, { i }) => sum + widths[i]!, 0) + GAP * Math.max(0, cols.length - 1);
  /** Cut the widest of `which` by a character at a time until the table fits or none can give more. */
  const cutDown = (which: (c: Column<T>) => boolean) => {
    while (total() > width) {
      const candidates = cols.filter(({ c, i }) => c.fit?.cut && which(c) && widths[i]! > Math.max(visibleWidth(c.head), c.fit.min ?? 0));
      if (candidates.length === 0) return;
      const widest = candidates.reduce((a, b) => (widths[b.i]! > widths[a.i]! ? b : a));
      widths[widest.i]!--;
    }
  };
  const expendable = (c: Column<T>) => c.fit?.drop !== undefined;
  cutDown(expendable);
  const order = cols.filter(({ c }) => expendable(c)).sort((a, b) => a.c.fit!.drop! - b.c.fit!.drop!);
  for (const d of order) {
    if (total() <= width) break;
    cols = cols.filter((x) => x !== d);
    // The room freed goes back to the cut columns first.
    for (const { i } of cols) widths[i] = natural[i]!;
    cutDown(expendable);
  }
  cutDown((c) => !expendable(c));
  return {
    columns: cols.map(({ c }) => c),
    cells: cells.map((r) => cols.map(({ c, i }) => (c.fit?.cut && visibleWidth(r[i]!) > widths[i]! ? cutTo(r[i]!, widths[i]!, c.fit.cut) : r[i]!))),
  };
}

/**
 * A borderless cli-table3 table (loaded only when a table is printed). With `width` (a
 * terminal's), it is fitted into that many columns (fitColumns); without, rows are whole.
 */
export async function renderTable<T>(columns: Column<T>[], rows: T[], opts: { color: boolean; width?: number }): Promise<string> {
  let cols = columns;
  let cells = rows.map((r) => columns.map((c) => c.cell(r)));
  if (opts.width !== undefined) ({ columns: cols, cells } = fitColumns(columns, cells, opts.width));
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head: cols.map((c) => paint(c.head.toUpperCase(), 'bold', opts.color)),
    colAligns: cols.map((c) => c.align ?? 'left'),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' '.repeat(GAP),
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  for (const r of cells) table.push(r);
  return table.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}

const STATUS_COLOURS: Record<string, Colour> = {
  running: 'green',
  idle: 'yellow',
  exited: 'gray',
  missing: 'red',
  'worktree-missing': 'red',
  'setup-failed': 'red',
  creating: 'cyan',
  unreachable: 'red',
  starting: 'cyan',
  working: 'green',
  waiting: 'magenta',
  done: 'blue',
};

export function statusCell(status: string, exitCode: number | null, color: boolean): string {
  const text = status === 'exited' && exitCode !== null ? `exited (${exitCode})` : status;
  return paint(text, STATUS_COLOURS[status] ?? 'gray', color);
}
