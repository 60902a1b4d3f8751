import { describe, expect, it } from 'vitest';
import { attentionOf, costText, figures, groupRows, isOverBudget, noticesBetween, parseDiff, reasonText, seenOf, type Row } from '../../src/web/model.js';
import { needsUser, startingReason } from '../../src/core/agent-state.js';
import { checkListenHost, hostAllowed, originAllowed, readCookie, sameSecret, sessionCookie } from '../../src/web/security.js';
import { createBody, fanoutBody, killBody, pickBody, BadRequest } from '../../src/web/requests.js';

function row(branch: string, status: string, extra: Partial<Omit<Row, 'usage'>> & { usage?: { model?: string; cost_usd: number | null } | null } = {}): Row {
  return <Row>{
    repo: '/src/app', host: null, branch, batch_id: null, agent: 'claude', status, session: `fleet_app_${branch}`, worktree: `/w/${branch}`,
    cpu: 1, memory: 2048, created_at: `2026-01-01T00:00:0${branch.length % 10}.000Z`, exit_code: null, state_reason: null, state_since: null, conversation_id: null, changes: null, usage: null, budget_usd: null, issue: null, ...extra,
  };
}

describe('page model', () => {
  it('puts the agents that need the user first, within batches and across them', () => {
    const rows = [
      row('b-1', 'running', { batch_id: 'b' }),
      row('b-2', 'idle', { batch_id: 'b' }),
      row('solo', 'working'),
      row('c-1', 'running', { batch_id: 'c' }),
      row('c-2', 'waiting', { batch_id: 'c', state_reason: 'permission: Bash(rm -rf build)' }),
    ];
    const groups = groupRows(rows);
    expect(groups.map((g) => [g.batch, g.rows.map((r) => r.branch), g.attention, g.needy])).toEqual([
      ['c', ['c-2', 'c-1'], 'urgent', 1],
      ['b', ['b-2', 'b-1'], 'needs-you', 1],
      [null, ['solo'], 'busy', 0],
    ]);
  });

  it("agrees with fleet list on who needs the user (core/agent-state's needsUser), over budget needing a look too", () => {
    const stuck = startingReason('a');
    const cases: [Row, string][] = [
      [row('a', 'waiting', { state_reason: 'permission: Bash(npm test)' }), 'urgent'],
      [row('a', 'starting', { state_reason: stuck }), 'urgent'],
      [row('a', 'starting', { state_reason: `${stuck}; over budget ($5.00 of $4.00)` }), 'urgent'],
      [row('a', 'starting'), 'busy'],
      [row('a', 'working'), 'busy'],
      [row('a', 'running'), 'busy'],
      [row('a', 'done'), 'needs-you'],
      [row('a', 'idle'), 'needs-you'],
      [row('a', 'exited', { exit_code: 0 }), 'needs-you'],
      [row('a', 'missing'), 'needs-you'],
      [row('a', 'working', { usage: { cost_usd: 5 }, budget_usd: 4, state_reason: 'over budget ($5.00 of $4.00)' }), 'needs-you'],
      [row('a', 'working', { usage: { cost_usd: 3 }, budget_usd: 4 }), 'busy'],
    ];
    expect(cases.map(([r]) => attentionOf(r))).toEqual(cases.map(([, want]) => want));
    for (const [r] of cases) expect(attentionOf(r) === 'urgent').toBe(needsUser({ status: r.status, reason: r.state_reason }));
  });

  it('puts the one waiting longest first among those that need the user now, as list does', () => {
    const rows = [
      row('new', 'waiting', { state_since: '2026-01-01T10:05:00.000Z' }),
      row('done', 'done'),
      row('old', 'waiting', { state_since: '2026-01-01T10:00:00.000Z' }),
      row('stuck', 'starting', { state_reason: startingReason('stuck'), state_since: '2026-01-01T10:02:00.000Z' }),
    ];
    expect(groupRows(rows).map((g) => g.rows[0]!.branch)).toEqual(['old', 'stuck', 'new', 'done']);
  });

  it("says why: the agent's own reason, or how it exited", () => {
    expect(reasonText(row('a', 'waiting', { state_reason: 'question' }))).toBe('question');
    expect(reasonText(row('a', 'exited', { exit_code: 3 }))).toBe('the agent ended with status 3');
    expect(reasonText(row('a', 'running'))).toBeNull();
  });

  it('shows cost only when fleet reports usage, and "?" for an unknown price, never 0', () => {
    expect(figures(row('a', 'running'))).toEqual(['cpu 1.0%', '2.0 KiB']);
    expect(figures(row('a', 'exited', { changes: { files: 2, added: 5, removed: 1 } }))).toEqual(['2 files +5/-1']);
    expect(costText({ usage: { cost_usd: 1.234 } })).toBe('$1.23');
    expect(costText({ usage: { cost_usd: null } })).toBe('?');
    expect(costText({ usage: null, budget_usd: null })).toBeNull();
  });

  it('shows cost against budget as list does, over budget told apart', () => {
    const over = row('a', 'working', { usage: { cost_usd: 4.123 }, budget_usd: 4 });
    expect(costText(over)).toBe('$4.12/$4.00');
    expect(isOverBudget(over)).toBe(true);
    expect(costText(row('a', 'working', { budget_usd: 4 }))).toBe('-/$4.00');
    expect(isOverBudget(row('a', 'working', { usage: { cost_usd: 4 }, budget_usd: 4 }))).toBe(false);
    expect(isOverBudget(row('a', 'working', { usage: { cost_usd: null }, budget_usd: 4 }))).toBe(false); // unknown price: not known to be over
  });

  it('notifies when an agent starts waiting, is done or exits, naming it and why; not on the first list', () => {
    const first = [row('a', 'working'), row('b', 'running'), row('c', 'working')];
    expect(noticesBetween(null, first)).toEqual([]);
    const next = [row('a', 'waiting', { state_reason: 'permission: Edit(src/x.ts)' }), row('b', 'exited', { exit_code: 2 }), row('c', 'done')];
    expect(noticesBetween(seenOf(first), next)).toEqual([
      { session: 'fleet_app_a', tag: 'fleet_app_a:state', title: 'a needs you', body: 'permission: Edit(src/x.ts)' },
      { session: 'fleet_app_b', tag: 'fleet_app_b:state', title: 'b exited', body: 'the agent ended with status 2' },
      { session: 'fleet_app_c', tag: 'fleet_app_c:state', title: 'c is done', body: 'finished its turn' },
    ]);
    expect(noticesBetween(seenOf(next), next)).toEqual([]);
  });

  it('notifies once when a start gets stuck at a dialog and once when an agent goes over its budget', () => {
    const first = [row('s', 'starting'), row('b', 'working', { usage: { cost_usd: 3.5 }, budget_usd: 4 })];
    const stuck = startingReason('s');
    const next = [row('s', 'starting', { state_reason: stuck }), row('b', 'working', { usage: { cost_usd: 4.2 }, budget_usd: 4, state_reason: 'over budget ($4.20 of $4.00)' })];
    expect(noticesBetween(seenOf(first), next)).toEqual([
      { session: 'fleet_app_s', tag: 'fleet_app_s:state', title: 's needs you', body: stuck },
      { session: 'fleet_app_b', tag: 'fleet_app_b:budget', title: 'b is over budget', body: 'it has spent ($4.20 of $4.00)' },
    ]);
    // Still stuck, still over (and spending more): nothing new.
    const later = [next[0]!, row('b', 'done', { usage: { cost_usd: 4.8 }, budget_usd: 4, state_reason: 'over budget ($4.80 of $4.00)' })];
    expect(noticesBetween(seenOf(next), later)).toEqual([{ session: 'fleet_app_b', tag: 'fleet_app_b:state', title: 'b is done', body: 'over budget ($4.80 of $4.00)' }]);
    expect(noticesBetween(seenOf(later), later)).toEqual([]);
  });

  it('splits a diff into files with classified lines', () => {
    const text = [
      'diff --git a/README.md b/README.md', 'index 1..2 100644', '--- a/README.md', '+++ b/README.md',
      '@@ -1 +1,2 @@', ' # test', '-old', '+new', '+more',
      'diff --git a/new.txt b/new.txt', 'new file mode 100644', '--- /dev/null', '+++ b/new.txt', '@@ -0,0 +1 @@', '+hello', '',
    ].join('\n');
    const files = parseDiff(text);
    expect(files.map((f) => [f.path, f.added, f.removed])).toEqual([['README.md', 2, 1], ['new.txt', 1, 0]]);
    expect(files[0]!.lines.map((l) => l.kind)).toEqual(['file', 'meta', 'meta', 'meta', 'hunk', 'context', 'del', 'add', 'add']);
  });
});

describe('dashboard guards', () => {
  it('takes loopback hosts, refuses others without --allow-remote, and wildcards always', () => {
    expect(checkListenHost('127.0.0.1', false)).toBe('127.0.0.1');
    expect(checkListenHost('::1', false)).toBe('::1');
    expect(checkListenHost('localhost', false)).toBe('127.0.0.1');
    expect(() => checkListenHost('192.168.1.5', false)).toThrow(/not a loopback address/);
    expect(checkListenHost('192.168.1.5', true)).toBe('192.168.1.5');
    expect(() => checkListenHost('0.0.0.0', true)).toThrow(/every address/);
    expect(() => checkListenHost('::', true)).toThrow(/every address/);
    expect(() => checkListenHost('example.com', true)).toThrow(/not an IP address/);
  });

  it('matches Host and Origin exactly, cookies by name, secrets in full', () => {
    expect(hostAllowed('127.0.0.1:4000', '127.0.0.1', 4000)).toBe(true);
    expect(hostAllowed('[::1]:4000', '::1', 4000)).toBe(true);
    for (const bad of ['localhost:4000', '127.0.0.1', '127.0.0.1:4001', 'evil.com:4000', undefined]) expect(hostAllowed(bad, '127.0.0.1', 4000)).toBe(false);
    expect(originAllowed({ origin: 'http://127.0.0.1:4000' }, '127.0.0.1', 4000)).toBe(true);
    expect(originAllowed({ origin: 'http://127.0.0.1:4000', 'sec-fetch-site': 'same-origin' }, '127.0.0.1', 4000)).toBe(true);
    expect(originAllowed({ origin: 'http://127.0.0.1:4000', 'sec-fetch-site': 'same-site' }, '127.0.0.1', 4000)).toBe(false);
    expect(originAllowed({}, '127.0.0.1', 4000)).toBe(false);
    expect(originAllowed({ origin: 'https://127.0.0.1:4000' }, '127.0.0.1', 4000)).toBe(false);
    expect(readCookie('a=1; fleet_dashboard_4000=tok; b=2', 'fleet_dashboard_4000')).toBe('tok');
    expect(readCookie('fleet_dashboard_40000=tok', 'fleet_dashboard_4000')).toBeNull();
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abd', 'abc')).toBe(false);
    expect(sameSecret('ab', 'abc')).toBe(false);
    expect(sameSecret(null, 'abc')).toBe(false);
    expect(sessionCookie(4000, 't')).toBe('fleet_dashboard_4000=t; HttpOnly; SameSite=Strict; Path=/');
  });

  it('checks request bodies field by field', () => {
    expect(killBody({ force: true })).toEqual({ force: true });
    expect(() => killBody({ force: 'yes' })).toThrow(BadRequest);
    expect(() => killBody([])).toThrow(/JSON object/);
    expect(pickBody({})).toEqual({ strategy: 'merge', into: undefined, message: undefined });
    expect(() => pickBody({ strategy: 'octopus' })).toThrow(/one of merge, squash, rebase/);
    expect(createBody({ repo: '/r', branch: 'b', prompt: 'p', base: '' })).toEqual({ repo: '/r', branch: 'b', prompt: 'p' });
    expect(() => createBody({ repo: '/r', prompt: 'p' })).toThrow('"branch" is missing');
    expect(() => fanoutBody({ repo: '/r', count: 2.5, prompt: 'p' })).toThrow(/whole number/);
  });
});
