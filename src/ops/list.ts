import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import type { BaseContext, Context } from '../context.js';
import type { ChangeStats } from '../core/changes.js';
import type { AgentUsage } from '../core/usage/types.js';
import type { PaneInfo } from '../core/parse.js';
import { busyByCpu, reconcile, type AgentView } from '../core/reconcile.js';
import { userFirst } from '../core/agent-state.js';
import { pidAlive } from '../process/pids.js';
import { recordUnrecorded } from '../state/owner.js';
import { listPanes } from '../tmux/sessions.js';
import { UsageSampler, type TreeUsage } from './metrics.js';
import { budgetOf, usageOf } from './usage.js';
import { noticeOverBudget, overBudget } from './budget.js';

/** One row of `fleet list` (and an element of `list --json`). */
export interface ListedAgent {
  repo: string;
  /** The `[hosts.NAME]` it runs on; null: this machine. */
  host: string | null;
  branch: string;
  batch_id: string | null;
  agent: string;
  status: string;
  session: string;
  worktree: string;
  cpu: number | null;
  memory: number | null;
  created_at: string;
  exit_code: number | null;
  /**
   * Why it is in this status or needs a look, when fleet knows: a dialog's request, a failed
   * turn, a starting agent's dialog, `over budget ($4.12 of $4.00)`; joined with "; " when more
   * than one applies (the hook's first); else null.
   */
  state_reason: string | null;
  /** Since when it is in this status (ISO 8601), when known. */
  state_since: string | null;
  /** The agent's own conversation (session) id, when known: what fleet revive resumes. */
  conversation_id: string | null;
  /** Files and lines changed since the base (commits, uncommitted edits, untracked files); null without --changes. */
  changes: ChangeStats | null;
  /** The URL of the issue it was started from (--issue), or null. */
  issue: string | null;
  /** Tokens and cost from the agent's transcripts; null for agents without any (other kinds) or before its first model call. */
  usage: AgentUsage | null;
  /** USD the agent may spend (--budget or budget_usd when it was made); null: no budget. */
  budget_usd: number | null;
}

export interface RowOptions {
  /** Agents of every repository, not only the current one's. */
  all?: boolean;
  /** Add what each agent changed since its base (git calls per agent, so only on request). */
  changes?: boolean;
  /**
   * Measure CPU and memory (the default); false skips the process-table read, and live agents'
   * figures are null; 'last' skips it too, but takes the figures (and busyByCpu's verdict) from
   * the sampler's last measurement (a live view that measures now and then).
   */
  measure?: boolean | 'last';
}

/** The facts list needs that do not depend on the repository or the config. */
export interface ListFacts {
  /** tmux list-panes, already asked. */
  panes?: Promise<PaneInfo[]>;
  /** Its process-table read already started; kept across redraws, it measures CPU since the last one. */
  sampler?: UsageSampler;
}

/** Where CPU samples are kept between lists (a cache: losing it costs one lifetime average). */
function samplesFile(home: string): string {
  return path.join(home, 'run', 'cpu-samples.json');
}

/** A sampler of the agents' CPU and memory, with its samples kept in the fleet home. */
export function usageSampler(base: BaseContext): UsageSampler {
  return new UsageSampler(base.run, samplesFile(base.configs.home));
}

/**
 * Ask tmux for its panes and ps for the process table at once, while git works out which
 * repository this is: three calls side by side instead of one after another.
 */
export function prefetchFacts(base: BaseContext): Required<ListFacts> {
  const panes = listPanes(base.run);
  panes.catch(() => undefined); // awaited later; a failure surfaces there, not as an unhandled rejection
  const sampler = usageSampler(base);
  sampler.prepare();
  return { panes, sampler };
}

/**
 * Records of the repository (or all), reconciled with one tmux call (or the one already
 * asked). With a sampler, the one process-table read it needs starts alongside that call.
 */
export async function gatherViews(ctx: Context, all: boolean, facts: ListFacts = {}): Promise<AgentView[]> {
  const { panes: early, sampler } = facts;
  const records = await ctx.state.read();
  const mine = all || !ctx.repo ? records : records.filter((r) => r.repo === ctx.repo!.root);
  if (sampler && mine.length > 0) sampler.prepare();
  const here = mine.filter((r) => !r.host);
  const onHosts = here.length < mine.length ? import('./list-hosts.js').then((m) => m.hostViews(ctx, mine.filter((r) => r.host))) : null;
  const panes = await (early ?? listPanes(ctx.run));
  // A stat per record (no process) tells a deleted worktree directory from a live agent.
  const local = reconcile(here, panes, { now: Date.now(), idleSeconds: ctx.config.idle_seconds, pidAlive, worktreeExists: fs.existsSync });
  const remote = onHosts ? await onHosts : [];
  // In the records' own order.
  const byRecord = new Map([...local, ...remote].map((v) => [v.record, v]));
  const views = mine.map((r) => byRecord.get(r)!);
  await recordUnrecorded(ctx.state, views); // a write only when a fleet died just before recording an agent ready
  await rememberConversations(ctx, views);
  // The agents that need the user first (a dialog open), longest waiting first.
  return userFirst(views);
}

/** The pane pid of an agent whose process is alive (its process tree is what it costs). */
function livePid(v: AgentView): number | null {
  // A host's pid means nothing in this machine's process table.
  if (v.record.host) return null;
  return v.pane && !v.pane.dead && v.pane.pid !== null ? v.pane.pid : null;
}

/**
 * CPU and memory of every live agent's process tree: one ps read and one pidusage call for
 * all of them. When they cannot be measured (no ps), a warning and no figures.
 */
export async function measureViews(ctx: Context, views: readonly AgentView[], sampler: UsageSampler): Promise<Map<number, TreeUsage> | null> {
  const roots = views.map(livePid).filter((p): p is number => p !== null);
  if (roots.length === 0) return new Map();
  try {
    return await sampler.measure(roots);
  } catch (e) {
    const hint = e instanceof FleetError && e.hint ? ` (${e.hint})` : '';
    ctx.ui.warn(`cpu and memory not measured: ${(e as Error).message}${hint}`);
    return null;
  }
}

/**
 * One list row. cpu/memory: the live agent's tree (null when it could not be measured), 0
 * when no agent process is running (exited, missing). An idle agent whose tree is busy on
 * the CPU is running (busyByCpu).
 */
export function toListed(v: AgentView, usage?: ReadonlyMap<number, TreeUsage> | null): ListedAgent {
  const r = v.record;
  const pid = livePid(v);
  const u = pid !== null ? usage?.get(pid) : undefined;
  // On a host, CPU and memory are not measured (yet): unknown, not 0.
  const unmeasured = Boolean(r.host) && v.pane !== null && !v.pane.dead;
  const status = busyByCpu(v.status, u);
  return {
    repo: r.repo,
    host: r.host ?? null,
    branch: r.branch,
    batch_id: r.batch_id,
    agent: r.agent,
    status,
    session: r.session,
    worktree: r.worktree,
    cpu: unmeasured ? null : pid === null ? 0 : (u?.cpu ?? null),
    memory: unmeasured ? null : pid === null ? 0 : (u?.memory ?? null),
    created_at: r.created_at,
    exit_code: v.exitCode,
    state_reason: v.reason ?? null,
    state_since: status === v.status && typeof v.since === 'number' ? new Date(v.since * 1000).toISOString() : null,
    conversation_id: v.pane?.fleet.conversation || r.conversation_id || null,
    changes: null,
    issue: r.issue ?? null,
    usage: null,
    budget_usd: budgetOf(r),
  };
}

/**
 * What the hooks learned that fleet must remember beyond tmux: the conversation id (codex and
 * opencode tell it only in their hooks, and `fleet revive` needs it once the session is gone)
 * and the transcript. Written only when it changed, so a list usually writes nothing.
 */
async function rememberConversations(ctx: Context, views: readonly AgentView[]): Promise<void> {
  const learned = new Map<string, { conversation_id: string | null; transcript: string | null }>();
  for (const v of views) {
    const conversation = v.pane?.fleet.conversation || null;
    const transcript = v.pane?.hook.transcript || null;
    if ((conversation && conversation !== v.record.conversation_id) || (transcript && transcript !== v.record.transcript)) {
      learned.set(v.record.session, { conversation_id: conversation ?? v.record.conversation_id ?? null, transcript: transcript ?? v.record.transcript ?? null });
    }
  }
  if (learned.size === 0) return;
  await ctx.state
    .update((agents) => agents.map((a) => (learned.has(a.session) ? { ...a, ...learned.get(a.session) } : a)))
    .catch((e: unknown) => ctx.ui.warn(`could not record the agents' conversation ids: ${(e as Error).message}`));
}

/**
 * The rows, reconciled and measured: a constant number of tmux/git/ps calls for any number of
 * agents (plus git calls per agent with `changes`). `facts` may carry calls already started
 * and the sampler to measure with (one per watch, so CPU is measured since the last redraw).
 */
export async function collectRows(ctx: Context, opts: RowOptions, facts: ListFacts = {}): Promise<ListedAgent[]> {
  const fresh = opts.measure === undefined || opts.measure === true;
  const sampler = fresh ? (facts.sampler ?? usageSampler(ctx)) : undefined;
  const views = await gatherViews(ctx, Boolean(opts.all), { sampler, panes: facts.panes });
  // The transcripts are read (a stat per file and one small index read when nothing changed)
  // while ps runs for the CPU figures.
  const measuring = sampler ? measureViews(ctx, views, sampler) : undefined;
  const tokens = await usageOf(ctx, views.map((v) => v.record));
  const usage = sampler ? await measuring : opts.measure === 'last' ? facts.sampler?.last : undefined;
  const rows = views.map((v) => toListed(v, usage));
  rows.forEach((row, i) => (row.usage = tokens.get(views[i]!.record) ?? null));
  const over = overBudget(views.map((v, i) => ({ record: v.record, usage: rows[i]!.usage })));
  for (const o of over) {
    const row = rows[views.findIndex((v) => v.record === o.record)]!;
    row.state_reason = row.state_reason ? `${row.state_reason}; ${o.reason}` : o.reason;
  }
  await noticeOverBudget(ctx, over);
  if (opts.changes) {
    // Git calls per agent (a temporary index each, so worktrees are not touched): only on request.
    const { changeStatsAll } = await import('./changes.js');
    const stats = await changeStatsAll(ctx, views.map((v) => v.record));
    rows.forEach((row, i) => (row.changes = stats.get(views[i]!.record) ?? null));
  }
  return rows;
}
