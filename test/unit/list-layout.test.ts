import { describe, expect, it } from 'vitest';
import { attentionLine } from '../../src/commands/list.js';
import { repoLabels, worktreeLabel } from '../../src/core/labels.js';
import { cutTo, fitColumns, visibleWidth, type Column } from '../../src/ui/table.js';

type Row = Record<string, string>;
const col = (head: string, fit?: Column<Row>['fit']): Column<Row> => ({ head, cell: (r) => r[head]!, fit });

describe('fitColumns', () => {
  const columns = [
    col('branch', { cut: 'end', min: 12 }),
    col('status'),
    col('age', { drop: 2 }),
    col('worktree', { cut: 'start', min: 12, drop: 1 }),
  ];
  const row = { branch: 'feature-login-page', status: 'running', age: '12m', worktree: 'app/feature-login-page' };
  const cells = [columns.map((c) => c.cell(row))];
  const width = (fit: ReturnType<typeof fitColumns<Row>>) =>
    fit.columns.reduce((w, c, i) => w + Math.max(c.head.length, visibleWidth(fit.cells[0]![i]!)), 0) + 2 * (fit.columns.length - 1);

  it('leaves a table that fits as it is', () => {
    expect(fitColumns(columns, cells, 200)).toEqual({ columns, cells });
  });

  it('cuts the columns that may go first, then leaves them out in their order, then cuts what stays', () => {
    const cut = fitColumns(columns, cells, 50);
    expect(cut.columns.map((c) => c.head)).toEqual(['branch', 'status', 'age', 'worktree']);
    expect(cut.cells[0]![3]).toMatch(/^…/);
    expect(width(cut)).toBeLessThanOrEqual(50);

    const dropped = fitColumns(columns, cells, 32);
    expect(dropped.columns.map((c) => c.head)).toEqual(['branch', 'status', 'age']);
    expect(dropped.cells[0]).toEqual(['feature-login-page', 'running', '12m']);

    const narrow = fitColumns(columns, cells, 22);
    expect(narrow.columns.map((c) => c.head)).toEqual(['branch', 'status']);
    expect(narrow.cells[0]).toEqual(['feature-logi…', 'running']);
  });

  it('cuts with … at either end and counts colour codes as no width', () => {
    expect(cutTo('abcdefgh', 5, 'end')).toBe('abcd…');
    expect(cutTo('abcdefgh', 5, 'start')).toBe('…efgh');
    expect(cutTo('abc', 5, 'end')).toBe('abc');
    expect(visibleWidth('\x1b[32mrunning\x1b[0m')).toBe(7);
  });
});

describe('repoLabels', () => {
  it('the directory name, with parents only where two repositories share it', () => {
    const labels = repoLabels(['/home/u/work/app', '/home/u/oss/app', '/home/u/work/api', '/home/u/work/app'], '/home/u');
    expect(Object.fromEntries(labels)).toEqual({ '/home/u/work/app': 'work/app', '/home/u/oss/app': 'oss/app', '/home/u/work/api': 'api' });
  });
  it('the whole path when the parents are the same too', () => {
    expect(repoLabels(['/a/x/app', '/b/x/app'], '/home/u').get('/a/x/app')).toBe('/a/x/app');
  });
});

describe('worktreeLabel', () => {
  it('relative to worktree_root, or the full path (with ~) elsewhere', () => {
    expect(worktreeLabel('/home/u/.ai_fleet/worktrees/app/fix', '/home/u/.ai_fleet/worktrees', '/home/u')).toBe('app/fix');
    expect(worktreeLabel('/home/u/elsewhere/fix', '/home/u/.ai_fleet/worktrees', '/home/u')).toBe('~/elsewhere/fix');
    expect(worktreeLabel('/srv/fix', '/home/u/.ai_fleet/worktrees', '/home/u')).toBe('/srv/fix');
  });
});

describe('attentionLine (below the table)', () => {
  const waiting = { branch: 'fix-auth', status: 'waiting', state_reason: 'permission: Bash(npm test -- --reporter=verbose --coverage); over budget ($4.12 of $4.00)' };
  it('names the agent, its status, why, and what to run; whole when piped', () => {
    expect(attentionLine(waiting)).toBe(`! fix-auth waiting: ${waiting.state_reason} — fleet attach fix-auth`);
    expect(attentionLine({ branch: 'b', status: 'starting', state_reason: 'has not taken its prompt' })).toBe('! b starting: has not taken its prompt');
  });
  it('on a terminal, cuts the reason, never the branch or the command, to fit the width', () => {
    const line = attentionLine(waiting, 70);
    expect(visibleWidth(line)).toBe(70);
    expect(line).toMatch(/^! fix-auth waiting: permission: Bash\(npm test.*… — fleet attach fix-auth$/);
  });
});
