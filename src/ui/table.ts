import { paint, type Colour } from './output.js';

export interface Column<T> {
  head: string;
  cell: (row: T) => string;
  align?: 'left' | 'right';
}

/** A borderless cli-table3 table (loaded only when a table is printed). */
export async function renderTable<T>(columns: Column<T>[], rows: T[], opts: { color: boolean }): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head: columns.map((c) => paint(c.head.toUpperCase(), 'bold', opts.color)),
    colAligns: columns.map((c) => c.align ?? 'left'),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  for (const r of rows) table.push(columns.map((c) => c.cell(r)));
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
};

export function statusCell(status: string, exitCode: number | null, color: boolean): string {
  const text = status === 'exited' && exitCode !== null ? `exited (${exitCode})` : status;
  return paint(text, STATUS_COLOURS[status] ?? 'gray', color);
}
