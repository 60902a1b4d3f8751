// `fleet compare`: run one check in every worktree of a batch, side by side, and rank the agents;
// `fleet pick --best` lands the one the last compare marked.
//
// The check runs on each worktree as it is (no stash, no checkout, no clean). What is compared is
// a snapshot of the worktree's files taken into a temporary index before the check (the agent's
// own index is never touched); a second snapshot after it tells whether the check created or
// edited files git sees (build outputs that .gitignore covers do not count), which the row then says.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FleetError, InterruptedError, UsageError } from '../errors.js';
import type { Context, RepoContext } from '../context.js';
import { batchDrift, markBest, type CheckOutcome, type CompareChanges, type CompareRow, type StoredCompare, type StoredMember } from '../core/compare.js';
import { diffNumstat } from '../git/diff.js';
import { countCommits, resolveCommit } from '../git/refs.js';
import { snapshot, type Snapshot } from '../git/snapshot.js';
import { sumNumstat } from '../core/changes.js';
import { agentEnv } from '../core/agent-env.js';
import { resolveProfile, type AgentProfile } from '../core/profiles.js';
import { atomicWrite } from '../fs/atomic-write.js';
import type { AgentRecord } from '../state/types.js';
import { hasWorktree, resolveBase } from './changes.js';
import { matchAgents, recordsOfRepo } from './find.js';
import { gatherViews } from './list.js';
import { usageOf } from './usage.js';

/** Default --timeout: long enough for a real test suite, short enough that a hung one ends. */
export const DEFAULT_TIMEOUT_S = 30 * 60;

export interface CompareTarget {
  /** The batch named, or the one batch all the named branches make up whole; null otherwise. */
  batch: string | null;
  records: AgentRecord[];
}

/** `<batch | branch…>` → the agents to compare: a batch id when one argument names a batch, else branch names and globs. */
export async function resolveTargets(ctx: RepoContext, args: readonly string[]): Promise<CompareTarget> {
  const records = recordsOfRepo(await ctx.state.read(), ctx.repo);
  const batches = [...new Set(records.map((r) => r.batch_id).filter((b): b is string => b !== null))];
  if (args.length === 1 && batches.includes(args[0]!)) {
    return { batch: args[0]!, records: records.filter((r) => r.batch_id === args[0]) };
  }
  const { matched, unmatched } = matchAgents(records, args);
  if (unmatched.length > 0) {
    const what = args.length === 1 ? `no batch or agent "${unmatched[0]}"` : `no agent matches ${unmatched.map((u) => `"${u}"`).join(', ')}`;
    throw new FleetError(`${what} in this repository`, {
      hint: batches.length > 0 ? `batches here: ${batches.slice(0, 5).join(', ')}${batches.length > 5 ? ', …' : ''} (fleet list --grouped shows them)` : 'fleet list shows the agents of this repository',
    });
  }
  const ids = new Set(matched.map((r) => r.batch_id));
  const only = ids.size === 1 ? [...ids][0]! : null;
  const whole = only !== null && records.filter((r) => r.batch_id === only).length === matched.length;
  return { batch: whole ? only : null, records: matched };
}

export interface CompareRequest {
  command: string;
  /** null: no limit. */
  timeoutMs: number | null;
}

export interface CompareHooks {
  signal?: AbortSignal;
  onStart?: (record: AgentRecord) => void;
  onDone?: (row: CompareRow) => void;
}

export interface CompareResult {
  rows: CompareRow[];
  best: CompareRow | null;
  /** Where the result was kept for `fleet pick --best` (null: not a whole batch, so not kept). */
  stored: string | null;
}

/** Where the check's output of one agent goes (0600, in the fleet home's logs). */
export function checkLogFile(home: string, record: AgentRecord): string {
  return path.join(home, 'logs', 'compare', `${record.session}.log`);
}

/** The environment the agent itself got (core/agent-env: [env], its profile's, FLEET_*), for its check. */
function checkEnv(ctx: Context, record: AgentRecord): Record<string, string> {
  let profile: AgentProfile['env'] = { defaults: {}, own: {} };
  try {
    profile = resolveProfile(ctx.config, record.agent).env;
  } catch {
    // a profile removed from the config since: the rest still applies
  }
  return agentEnv({
    caller: ctx.env,
    profile,
    config: ctx.config.env,
    fleet: {
      FLEET_REPO: record.repo,
      FLEET_BRANCH: record.branch,
      FLEET_WORKTREE: record.worktree,
      FLEET_BATCH: record.batch_id ?? '',
      FLEET_AGENT: record.agent,
    },
    worktree: record.worktree,
  });
}

/**
 * Run the check in every worktree (at most max_parallel at once), then read each agent's
 * changes and usage and mark the best. Ctrl+C (the signal) kills every running check with its
 * whole process group and throws InterruptedError; nothing is kept then.
 */
export async function compareAgents(ctx: RepoContext, target: CompareTarget, req: CompareRequest, hooks: CompareHooks = {}): Promise<CompareResult> {
  const views = await gatherViews(ctx, false);
  const statusOf = new Map<string, string>(views.map((v) => [v.record.branch, v.status]));
  const status = (r: AgentRecord) => statusOf.get(r.branch) ?? 'missing';

  const rows: CompareRow[] = [];
  const after = new Map<AgentRecord, StoredMember>();
  let next = 0;
  const worker = async () => {
    while (next < target.records.length && !hooks.signal?.aborted) {
      const record = target.records[next++]!;
      const i = target.records.indexOf(record);
      const { row, member } = await compareOne(ctx, record, req, status(record), hooks);
      rows[i] = row;
      after.set(record, member);
      if (!hooks.signal?.aborted) hooks.onDone?.(row);
    }
  };
  await Promise.all(Array.from({ length: Math.min(ctx.config.max_parallel, target.records.length) }, worker));
  if (hooks.signal?.aborted) throw new InterruptedError('interrupted: the checks were stopped; nothing was kept');

  const usage = await usageOf(ctx, target.records);
  rows.forEach((row, i) => (row.usage = usage.get(target.records[i]!) ?? null));
  const best = markBest(rows);

  let stored: string | null = null;
  if (target.batch !== null) {
    stored = saveCompare(ctx.configs.home, {
      version: 1,
      repo: ctx.repo.root,
      batch: target.batch,
      at: new Date().toISOString(),
      command: req.command,
      members: target.records.map((r) => after.get(r)!),
      best: best?.branch ?? null,
    });
  }
  return { rows, best, stored };
}

async function compareOne(ctx: Context, record: AgentRecord, req: CompareRequest, status: string, hooks: CompareHooks): Promise<{ row: CompareRow; member: StoredMember }> {
  const row: CompareRow = {
    repo: record.repo,
    branch: record.branch,
    batch_id: record.batch_id,
    agent: record.agent,
    status,
    created_at: record.created_at,
    check: { passed: null, exit_code: null, duration_ms: null, log: null, timed_out: false, worktree_changed: false, changed_paths: [], error: null },
    changes: null,
    usage: null,
    best: false,
  };
  const notRun = async (why: string) => {
    row.check.error = why;
    const tip = await resolveCommit(ctx.run, record.repo, `refs/heads/${record.branch}`);
    row.changes = tip ? await changesOf(ctx, record, tip, tip).catch(() => null) : null;
    return { row, member: { branch: record.branch, created_at: record.created_at, head: tip, tree: null } };
  };
  if (record.phase === 'creating') return notRun('it is not set up');
  if (!hasWorktree(record)) return notRun('its worktree is gone');

  let before: Snapshot;
  try {
    before = await snapshot(ctx.run, record.worktree, record.copied_files);
  } catch (e) {
    return notRun(`git cannot read its worktree (${(e as Error).message})`);
  }
  row.changes = await changesOf(ctx, record, before.tree, before.head).catch(() => null);

  hooks.onStart?.(record);
  row.check = { ...row.check, ...(await runCheck(ctx, record, req, hooks.signal)) };

  let end: Snapshot = before;
  try {
    end = await snapshot(ctx.run, record.worktree, record.copied_files);
  } catch {
    // The check broke the worktree for git: that is a change too.
    row.check.worktree_changed = true;
  }
  if (end.tree !== before.tree || end.head !== before.head) {
    row.check.worktree_changed = true;
    const entries = await diffNumstat(ctx.run, record.repo, before.tree, end.tree).catch(() => []);
    row.check.changed_paths = entries.slice(0, 3).map((e) => e.path);
    if (end.head !== before.head && row.check.changed_paths.length === 0) row.check.changed_paths = ['HEAD'];
  }
  return { row, member: { branch: record.branch, created_at: record.created_at, head: end.head, tree: end.tree } };
}

/** Files and lines from the base to `tree`, and commits from the base to `head`. */
async function changesOf(ctx: Context, record: AgentRecord, tree: string, head: string): Promise<CompareChanges> {
  const base = await resolveBase(ctx, record);
  const stats = sumNumstat(await diffNumstat(ctx.run, record.repo, base, tree));
  return { ...stats, commits: await countCommits(ctx.run, record.repo, base, head) };
}

/** Run the check in the worktree as its own process group; its output goes to the agent's log. */
async function runCheck(ctx: Context, record: AgentRecord, req: CompareRequest, interrupt?: AbortSignal): Promise<Partial<CheckOutcome>> {
  const log = checkLogFile(ctx.configs.home, record);
  fs.mkdirSync(path.dirname(log), { recursive: true, mode: 0o700 });
  fs.rmSync(log, { force: true });
  const fd = fs.openSync(log, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  fs.writeSync(fd, `$ ${req.command}\n`);
  fs.closeSync(fd);

  const timeout = req.timeoutMs === null ? null : AbortSignal.timeout(req.timeoutMs);
  const signals = [interrupt, timeout].filter((s): s is AbortSignal => s !== undefined && s !== null);
  const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
  const started = performance.now();
  let exitCode: number | null = null;
  let error: string | null = null;
  try {
    // Its own process group: a timeout or Ctrl+C kills the check and everything it started.
    const r = await ctx.run('bash', ['-c', req.command], { cwd: record.worktree, outputFile: log, reject: false, signal, detached: true, env: checkEnv(ctx, record) });
    exitCode = r.exitCode;
  } catch (e) {
    if (!timeout?.aborted && !interrupt?.aborted) error = (e as Error).message;
  }
  const duration_ms = Math.round(performance.now() - started);
  if (interrupt?.aborted) return { passed: null, duration_ms, log, error: 'interrupted' };
  if (timeout?.aborted && exitCode === null) {
    fs.appendFileSync(log, `\n[fleet compare: timed out after ${Math.round(req.timeoutMs! / 1000)} s; the check and its processes were killed]\n`);
    return { passed: false, timed_out: true, duration_ms, log };
  }
  if (error !== null) return { passed: false, duration_ms, log, error };
  return { passed: exitCode === 0, exit_code: exitCode, duration_ms, log };
}

function compareDir(home: string): string {
  return path.join(home, 'compare');
}

function compareFile(home: string, repo: string, batch: string): string {
  const key = crypto.createHash('sha256').update(`${repo}\0${batch}`).digest('hex').slice(0, 24);
  return path.join(compareDir(home), `${key}.json`);
}

export function saveCompare(home: string, result: StoredCompare): string {
  const file = compareFile(home, result.repo, result.batch);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  atomicWrite(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}

export function loadCompare(home: string, repo: string, batch: string): StoredCompare | null {
  try {
    const raw = JSON.parse(fs.readFileSync(compareFile(home, repo, batch), 'utf8')) as StoredCompare;
    return raw.version === 1 && raw.repo === repo && raw.batch === batch && Array.isArray(raw.members) ? raw : null;
  } catch {
    return null;
  }
}

/** An agent as it is now, in the terms a compare kept it. */
async function memberNow(ctx: Context, record: AgentRecord): Promise<StoredMember> {
  const m: StoredMember = { branch: record.branch, created_at: record.created_at, head: null, tree: null };
  if (record.phase !== 'creating' && hasWorktree(record)) {
    const s = await snapshot(ctx.run, record.worktree, record.copied_files).catch(() => null);
    if (s) return { ...m, head: s.head, tree: s.tree };
  }
  return { ...m, head: await resolveCommit(ctx.run, record.repo, `refs/heads/${record.branch}`) };
}

/**
 * The branch the last `fleet compare <batch>` marked best, after checking that the batch is
 * still what was compared: the same agents, each with the same HEAD and the same files.
 */
export async function bestOfLastCompare(ctx: RepoContext, batch: string): Promise<string> {
  const records = recordsOfRepo(await ctx.state.read(), ctx.repo).filter((r) => r.batch_id === batch);
  const stored = loadCompare(ctx.configs.home, ctx.repo.root, batch);
  if (records.length === 0 && !stored) {
    throw new FleetError(`no batch "${batch}" in this repository`, { hint: 'fleet list --grouped shows the batches' });
  }
  if (!stored) {
    throw new FleetError(`batch "${batch}" has not been compared`, { hint: `fleet compare ${batch} runs the check in each of its worktrees and marks the best` });
  }
  if (stored.best === null) {
    throw new FleetError(`the last compare of "${batch}" found no best candidate (no agent's check passed with changes)`, {
      hint: `fleet compare ${batch} again once an agent's work passes, or pick one yourself: fleet pick <branch>`,
    });
  }
  const now = await Promise.all(records.map((r) => memberNow(ctx, r)));
  const drift = batchDrift(stored, now);
  if (drift) {
    throw new FleetError(`batch "${batch}" changed since it was compared: ${drift}; nothing was picked`, {
      hint: `fleet compare ${batch} again, or pick one yourself: fleet pick ${stored.best}`,
    });
  }
  return stored.best;
}

/** `--timeout S` as milliseconds (0: none). */
export function parseTimeout(raw: string | undefined): number | null {
  if (raw === undefined) return DEFAULT_TIMEOUT_S * 1000;
  const s = raw.trim();
  const n = /^[0-9]+(\.[0-9]+)?$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`--timeout must be a number of seconds (got "${raw}")`, 'e.g. --timeout 600, or --timeout 0 for no limit');
  return n === 0 ? null : Math.max(1, Math.round(n * 1000));
}
