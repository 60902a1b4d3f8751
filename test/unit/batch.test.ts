import { describe, expect, it } from 'vitest';
import {
  MAX_FANOUT,
  batchIdProblem,
  fanoutBranches,
  generateBatchId,
  parseAgentMix,
  parseCount,
  parsePairs,
  prefixProblem,
} from '../../src/core/batch.js';
import { UsageError } from '../../src/errors.js';
import { batchOutcome, type BatchResult } from '../../src/core/batch.js';
import { inPlanOrder } from '../../src/ops/batch.js';
import { FleetError } from '../../src/errors.js';
import { makeProgress, type ProgressStream } from '../../src/ui/progress.js';
import { groupRows, groupTitle, renderGrouped } from '../../src/ui/grouped.js';
import type { AgentRecord } from '../../src/state/types.js';
import type { CreatePlan } from '../../src/core/create-plan.js';

describe('parseCount', () => {
  it.each([['1', 1], ['4', 4], [' 8 ', 8], [String(MAX_FANOUT), MAX_FANOUT]])('accepts %j', (raw, n) => {
    expect(parseCount(raw)).toBe(n);
  });
  it.each(['0', '-1', '3.5', '1e2', 'abc', '', '4x', '0x10', String(MAX_FANOUT + 1), '99999999999999999999'])('refuses %j as a usage error', (raw) => {
    expect(() => parseCount(raw)).toThrow(UsageError);
    expect(() => parseCount(raw)).toThrow(/whole number from 1 to 100/);
  });
  it('allows at least 100', () => {
    expect(MAX_FANOUT).toBeGreaterThanOrEqual(100);
  });
});

describe('fanoutBranches / prefixes / batch ids', () => {
  it('numbers branches from 1', () => {
    expect(fanoutBranches('cmp', 3)).toEqual(['cmp-1', 'cmp-2', 'cmp-3']);
    expect(fanoutBranches('try/parser', 2)).toEqual(['try/parser-1', 'try/parser-2']);
  });
  it('refuses a prefix that makes invalid branch names', () => {
    expect(prefixProblem('auth-refactor')).toBeNull();
    expect(prefixProblem('try/x')).toBeNull();
    expect(prefixProblem('')).toMatch(/empty/);
    expect(prefixProblem('a..b')).toMatch(/\.\./);
    expect(prefixProblem('has space')).toMatch(/space/);
    expect(prefixProblem('x:y')).toMatch(/":"/);
    expect(batchIdProblem('login-work')).toBeNull();
    expect(batchIdProblem('a b')).toMatch(/space/);
    expect(batchIdProblem('x'.repeat(101))).toMatch(/longer/);
  });
  it('generates kind-xxxxxx ids that avoid ids in use', () => {
    const seq = [0, 0, 0, 0, 0, 0, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99];
    let i = 0;
    const random = () => seq[i++ % seq.length]!;
    expect(generateBatchId('fanout', new Set(), random)).toBe('fanout-000000');
    i = 0;
    expect(generateBatchId('multi', new Set(['multi-000000']), random)).toBe('multi-zzzzzz');
    expect(generateBatchId('fanout')).toMatch(/^fanout-[0-9a-z]{6}$/);
    expect(prefixProblem(generateBatchId('fanout'))).toBeNull();
  });
});

describe('parseAgentMix', () => {
  it('expands profile:count in order', () => {
    expect(parseAgentMix('claude:2,codex:1', 3)).toEqual(['claude', 'claude', 'codex']);
    expect(parseAgentMix('claude, codex ,shell:2')).toEqual(['claude', 'codex', 'shell', 'shell']);
    expect(parseAgentMix('a:1,b:1,a:2')).toEqual(['a', 'a', 'a', 'b']);
  });
  it('refuses a total that differs from count', () => {
    expect(() => parseAgentMix('claude:2,codex:1', 4)).toThrow(/adds up to 3 agent\(s\), but count is 4/);
  });
  it.each(['', ',', 'claude:0', 'claude:x', ':2', 'claude:1.5', 'claude:-1'])('refuses %j', (spec) => {
    expect(() => parseAgentMix(spec)).toThrow(UsageError);
  });
});

describe('parsePairs', () => {
  it('keeps everything after the first colon', () => {
    expect(parsePairs(['fix-login:Fix login', 'api:Rename: a:b -> c::d', 'x:  spaced  '])).toEqual([
      { branch: 'fix-login', prompt: 'Fix login' },
      { branch: 'api', prompt: 'Rename: a:b -> c::d' },
      { branch: 'x', prompt: '  spaced  ' },
    ]);
  });
  it('validates every pair before returning any', () => {
    expect(() => parsePairs(['ok:fine', 'no-colon'])).toThrow(/"no-colon" is not a branch:prompt pair/);
    expect(() => parsePairs(['ok:fine', ':prompt'])).toThrow(/no branch before/);
    expect(() => parsePairs(['ok:fine', 'bad..name:x'])).toThrow(/invalid branch name "bad..name"/);
    expect(() => parsePairs(['ok:fine', 'empty:'])).toThrow(/prompt for "empty" is empty/);
    expect(() => parsePairs(['a:1', 'b:2', 'a:3'])).toThrow(/branch "a" is given twice/);
    expect(() => parsePairs([])).toThrow(/at least one/);
    // With a shared prompt (multi --prompt/--prompt-file), a plain branch takes it; pairs keep theirs.
    expect(parsePairs(['a', 'b:own'], 'shared')).toEqual([{ branch: 'a', prompt: 'shared' }, { branch: 'b', prompt: 'own' }]);
    expect(() => parsePairs(['b:'], 'shared')).toThrow(/prompt for "b" is empty/);
    for (const bad of [['x'], ['a:1', 'a:2']]) expect(() => parsePairs(bad)).toThrow(UsageError);
  });
  it('with --template a plain branch may have no prompt (the template is all of it); pairs are checked as ever', () => {
    expect(parsePairs(['a', 'b:own'], undefined, { templated: true })).toEqual([{ branch: 'a', prompt: undefined }, { branch: 'b', prompt: 'own' }]);
    expect(parsePairs(['a'], 'shared', { templated: true })).toEqual([{ branch: 'a', prompt: 'shared' }]);
    expect(() => parsePairs(['b:'], undefined, { templated: true })).toThrow(/prompt for "b" is empty/);
    expect(() => parsePairs(['a', 'a'], undefined, { templated: true })).toThrow(/given twice/);
  });
});

function plan(branch: string, agent = 'claude', prompt = 'Make it faster'): CreatePlan {
  return { branch, agent, prompt } as CreatePlan;
}

function result(over: Partial<BatchResult>): BatchResult {
  return {
    batchId: 'cmp', plans: ['cmp-1', 'cmp-2', 'cmp-3'].map((b) => plan(b)), created: [], failed: [], rolledBack: [], notStarted: [], interrupted: false,
    retry: { base: null, quick: false, promptFiles: {} }, ...over,
  };
}

describe('inPlanOrder', () => {
  it("sorts the batch's records by plan within the slots they hold, leaving other records in place", () => {
    const r = (branch: string, repo = '/r') => ({ repo, branch }) as AgentRecord;
    const agents = [r('old'), r('cmp-3'), r('other', '/elsewhere'), r('cmp-1'), r('cmp-3', '/elsewhere'), r('cmp-2')];
    const plans = ['cmp-1', 'cmp-2', 'cmp-3'].map((branch) => ({ repo: '/r', branch }) as CreatePlan);
    expect(inPlanOrder(agents, plans).map((a) => `${a.repo}:${a.branch}`)).toEqual([
      '/r:old', '/r:cmp-1', '/elsewhere:other', '/r:cmp-2', '/elsewhere:cmp-3', '/r:cmp-3',
    ]);
  });
});

describe('batchOutcome', () => {
  const rec = (branch: string) => ({ branch }) as AgentRecord;
  it('is clean when every agent runs', () => {
    expect(batchOutcome(result({ created: ['cmp-1', 'cmp-2', 'cmp-3'].map(rec) })).error).toBeNull();
  });
  it('names the failed agents, exit 1, with each failure explained', () => {
    const failure = new FleetError('setup command failed for "cmp-2" (exit 3): false\n  | boom', { hint: 'full log: x.log' });
    const out = batchOutcome(result({ created: [rec('cmp-1'), rec('cmp-3')], failed: [{ branch: 'cmp-2', error: failure }] }));
    expect(out.error?.exitCode).toBe(1);
    expect(out.error?.message).toBe('1 of 3 agents could not be made and were rolled back: cmp-2; the other 2 are running');
    expect(out.error?.hint).toBe("fix the cause above, then make it again in this batch: fleet multi cmp-2 --prompt 'Make it faster' --agent claude --batch cmp");
    expect(out.details).toEqual(['✖ cmp-2: setup command failed for "cmp-2" (exit 3): false\n  | boom\n  full log: x.log']);
  });
  it('the retry hint is a command that works as it is: same agents, base and flags, the real prompts quoted or by file', () => {
    const fail = (branch: string) => ({ branch, error: new FleetError('boom') });
    const plans = [
      plan('mix-1', 'claude', `it's "quoted" $(not run)`),
      plan('mix-2', 'codex', `it's "quoted" $(not run)`),
      plan('mix-3', 'claude', `it's "quoted" $(not run)`),
      plan('mix-4', 'claude', 'line one\nline two'),
      plan('mix-5', 'claude', 'fine'),
    ];
    const out = batchOutcome(
      result({
        batchId: 'mix',
        plans,
        created: [rec('mix-5')],
        failed: ['mix-1', 'mix-2', 'mix-3', 'mix-4'].map(fail),
        retry: { base: 'origin/dev', quick: true, promptFiles: { 'mix-4': '/home/u/.ai_fleet/prompts/mix 1.txt' } },
      }),
    );
    expect(out.error?.hint).toBe(
      [
        'fix the cause above, then make them again in this batch:',
        `  fleet multi mix-1 mix-3 --prompt 'it'\\''s "quoted" $(not run)' --agent claude --batch mix --base origin/dev --quick`,
        `  fleet multi mix-2 --prompt 'it'\\''s "quoted" $(not run)' --agent codex --batch mix --base origin/dev --quick`,
        `  fleet multi mix-4 --prompt-file '/home/u/.ai_fleet/prompts/mix 1.txt' --agent claude --batch mix --base origin/dev --quick`,
      ].join('\n'),
    );
  });
  it('reports an interrupt with exit 130: kept, rolled back, not started', () => {
    const out = batchOutcome(result({ created: [rec('cmp-1')], rolledBack: ['cmp-2'], notStarted: ['cmp-3'], interrupted: true }));
    expect(out.error?.exitCode).toBe(130);
    expect(out.error?.message).toBe('interrupted: 1 of 3 agents kept (cmp-1); 1 half-made rolled back (cmp-2); 1 not started (cmp-3)');
    expect(out.error?.hint).toMatch(/fleet kill --batch cmp/);
  });
});

function fakeStream(opts: { columns?: number; rows?: number } = {}): ProgressStream & { text: string } {
  const s = { text: '', columns: opts.columns ?? 100, rows: opts.rows ?? 40, write: (t: string) => void (s.text += t) };
  return s;
}

/** What a terminal would show: apply cursor-up and clear-to-end to a line buffer. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  const re = /\x1b\[(\d*)([AJ])|\x1b\[\?25[lh]|\r|\n|[^\x1b\r\n]+/g;
  for (const m of text.matchAll(re)) {
    const t = m[0];
    if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || 1));
    else if (m[2] === 'J') {
      lines[row] = '';
      lines.length = row + 1;
    } else if (t === '\r' || t.startsWith('\x1b[?')) continue;
    else if (t === '\n') {
      row++;
      if (lines.length <= row) lines.push('');
    } else lines[row] += t;
  }
  return lines.filter((l, i) => l !== '' || i < row);
}

describe('makeProgress', () => {
  const agents = [{ branch: 'cmp-1', agent: 'claude' }, { branch: 'cmp-2', agent: 'codex' }];

  it('without a terminal prints one plain line per finished agent, in the order they finish', () => {
    let t = 0;
    const stream = fakeStream();
    const p = makeProgress(agents, { live: false, color: false, stream, now: () => t });
    p.update('cmp-2', 'creating worktree');
    p.update('cmp-1', 'creating worktree');
    p.update('cmp-2', 'setup');
    expect(stream.text).toBe('');
    t = 2500;
    p.update('cmp-2', 'ready');
    p.update('cmp-2', 'ready'); // reported twice: printed once
    p.update('cmp-1', 'failed', 'setup command failed for "cmp-1" (exit 1): false\n  | tail');
    p.stop();
    expect(stream.text).toBe('cmp-2: ready (codex, 2.5s)\ncmp-1: failed: setup command failed for "cmp-1" (exit 1): false\n');
  });

  it('on a terminal redraws one line per agent in place', () => {
    let t = 0;
    const stream = fakeStream();
    const p = makeProgress(agents, { live: true, color: false, stream, now: () => t, tick: 0 });
    expect(screen(stream.text)).toEqual(['· cmp-1  claude  queued', '· cmp-2  codex   queued']);
    p.update('cmp-1', 'creating worktree');
    t = 1200;
    p.update('cmp-1', 'setup');
    expect(screen(stream.text)).toEqual([expect.stringMatching(/^. cmp-1  claude  setup 1\.2s$/), '· cmp-2  codex   queued']);
    p.note('cmp-1: credential file ".env" not found; skipped');
    p.update('cmp-1', 'ready');
    p.update('cmp-2', 'failed', 'tmux could not start session');
    p.stop();
    expect(screen(stream.text)).toEqual([
      'cmp-1: credential file ".env" not found; skipped',
      '✔ cmp-1  claude  ready 1.2s',
      '✖ cmp-2  codex   failed: tmux could not start session',
    ]);
    expect(stream.text.endsWith('\x1b[?25h')).toBe(true); // cursor shown again
  });

  it('keeps lines within the terminal width, and shows counts when the batch is taller than the screen', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ branch: `very-long-branch-name-for-agent-${i + 1}`, agent: 'claude' }));
    const stream = fakeStream({ columns: 40, rows: 10 });
    const p = makeProgress(many, { live: true, color: false, stream, tick: 0 });
    p.update(many[0]!.branch, 'ready');
    p.update(many[1]!.branch, 'setup');
    p.stop();
    const shown = screen(stream.text);
    expect(shown[0]).toBe('1 ready · 0 failed · 1 in progress · 28 queued');
    expect(shown).toHaveLength(2);
    for (const l of shown.slice(1)) expect(l.length).toBeLessThanOrEqual(39);
  });
});

function record(branch: string, batch: string | null, prompt: string, repo = '/r'): AgentRecord {
  return { repo, branch, batch_id: batch, prompt_preview: prompt } as AgentRecord;
}

describe('list --grouped', () => {
  const records = [
    record('solo', null, 'alone'),
    record('cmp-10', 'cmp', 'Refactor the auth module'),
    record('cmp-2', 'cmp', 'Refactor the auth module'),
    record('fix-login', 'm1', 'Fix login'),
    record('add-tests', 'm1', 'Add: test coverage'),
  ];
  const rows = records.map((r) => ({ repo: r.repo, branch: r.branch, batch_id: r.batch_id, status: 'running' }));

  it('groups by batch in first-seen order, no-batch last, natural branch order inside', () => {
    const groups = groupRows(rows, records);
    expect(groups.map((g) => [g.batch, g.rows.map((r) => r.branch)])).toEqual([
      ['cmp', ['cmp-2', 'cmp-10']],
      ['m1', ['add-tests', 'fix-login']],
      [null, ['solo']],
    ]);
    expect(groups.map(groupTitle)).toEqual(['cmp · 2 agents · "Refactor the auth module"', 'm1 · 2 agents · 2 different prompts', 'no batch · 1 agent']);
  });

  it('renders one aligned table with a header line per batch', async () => {
    const out = await renderGrouped(
      [{ head: 'branch', cell: (r) => r.branch }, { head: 'status', cell: (r) => r.status }],
      rows,
      { color: false, records },
    );
    expect(out.split('\n')).toEqual([
      '  BRANCH     STATUS   PROMPT',
      'cmp · 2 agents · "Refactor the auth module"',
      '  cmp-2      running',
      '  cmp-10     running',
      'm1 · 2 agents · 2 different prompts',
      '  add-tests  running  Add: test coverage',
      '  fix-login  running  Fix login',
      'no batch · 1 agent',
      '  solo       running  alone',
    ]);
  });
});
