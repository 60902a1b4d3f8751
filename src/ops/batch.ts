import os from 'node:os';
import { FleetError, InterruptedError } from '../errors.js';
import type { Context } from '../context.js';
import type { AgentProfile } from '../config/schema.js';
import type { RepoInfo } from '../git/worktree-manager.js';
import { findCollisions, planCreate, type CreatePlan } from '../core/create-plan.js';
import type { AgentRecord } from '../state/types.js';
import type { BatchProgress } from '../ui/progress.js';
import { createAgent, preflight } from './create-agent.js';
import { withInterrupts } from './interrupts.js';
import { checkoutSlots, Semaphore } from './schedule.js';

export interface BatchItem {
  branch: string;
  prompt: string;
  profile: AgentProfile;
}

export interface BatchRequest {
  batchId: string;
  /** Name used in session names and worktree paths (agentRepoName); the directory name when absent. */
  repoName?: string;
  items: readonly BatchItem[];
  base: string | null;
  quick: boolean;
}

export type Preflight = Awaited<ReturnType<typeof preflight>>;

export interface BatchFailure {
  branch: string;
  error: FleetError;
}

export interface BatchResult {
  batchId: string;
  plans: CreatePlan[];
  /** Agents that are running, in plan order. */
  created: AgentRecord[];
  /** Could not be made; everything made for them was rolled back. */
  failed: BatchFailure[];
  /** Half-made when the signal came; rolled back. */
  rolledBack: string[];
  /** Still queued when the signal came; nothing was made for them. */
  notStarted: string[];
  interrupted: boolean;
}

/** One plan per agent, all validated (names, session collisions) before anything is touched. */
export function planBatch(ctx: Context & { repo: RepoInfo }, req: BatchRequest): CreatePlan[] {
  const plans = req.items.map((item) =>
    planCreate({
      repo: ctx.repo.root,
      repoName: req.repoName ?? ctx.repo.name,
      branch: item.branch,
      prompt: item.prompt,
      profile: item.profile,
      config: ctx.config,
      batchId: req.batchId,
      base: req.base,
      quick: req.quick,
    }),
  );
  const collision = findCollisions(plans);
  if (collision) throw new FleetError(collision, { hint: 'give each agent a branch name that differs in more than "." or "/"', exitCode: 2 });
  return plans;
}

/** Check every plan against state, tmux and git; throws on the first problem, having made nothing. */
export async function preflightBatch(ctx: Context, plans: readonly CreatePlan[]): Promise<Preflight> {
  return preflight(ctx, plans, await ctx.state.read());
}

/**
 * Make the agents, at most `maxParallel` at once; of those, at most `checkoutSlots(cpus, …)` check
 * out their worktree at once (the rest of each set-up overlaps the next checkout). A failure rolls
 * back only that agent (createAgent undoes its own steps); the others carry on. SIGINT/SIGTERM
 * stops starting new agents, aborts the ones in progress (each rolls itself back, setup commands
 * killed with their process group, queued checkouts never started) and keeps the finished ones.
 * Never throws for a failed agent: the result says who failed and why.
 */
export async function runBatch(
  ctx: Context,
  plans: readonly CreatePlan[],
  pre: Preflight,
  opts: { maxParallel: number; progress: BatchProgress; batchId: string; cpus?: number },
): Promise<BatchResult> {
  const { progress } = opts;
  const created: (AgentRecord | undefined)[] = new Array(plans.length);
  const failed: BatchFailure[] = [];
  const rolledBack: string[] = [];
  let next = 0;

  const onSignal = (count: number) => {
    if (count === 1) progress.note('interrupted: starting no more agents; rolling back the half-made ones (the finished ones stay)…');
    else progress.note('still cleaning up; please wait…');
  };

  const interrupted = await withInterrupts(async (signal) => {
    const checkouts = new Semaphore(checkoutSlots(opts.cpus ?? os.availableParallelism(), opts.maxParallel));
    const makeOne = async (i: number) => {
      const plan = plans[i]!;
      try {
        created[i] = await createAgent(ctx, plan, pre.get(plan.branch)!, {
          signal,
          // createAgent reports "failed" before it undoes its steps; the outcome is reported once they are undone.
          onPhase: (phase) => progress.update(plan.branch, phase === 'failed' ? 'rolling back' : phase),
          onNote: (n) => progress.note(`${plan.branch}: ${n}`),
          checkoutSlot: (step) => checkouts.run(step, signal),
        });
        progress.update(plan.branch, 'ready');
      } catch (e) {
        if (e instanceof InterruptedError || (signal.aborted && e instanceof FleetError && e.exitCode === 130)) {
          rolledBack.push(plan.branch);
          progress.update(plan.branch, 'interrupted');
        } else {
          const error = e instanceof FleetError ? e : new FleetError(e instanceof Error ? e.message : String(e), { cause: e });
          failed.push({ branch: plan.branch, error });
          progress.update(plan.branch, 'failed', error.message);
        }
      }
    };
    const worker = async () => {
      while (next < plans.length && !signal.aborted) await makeOne(next++);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.maxParallel, plans.length)) }, worker));
    // Claims land in the order set-up began; list and kill read better in the batch's own order.
    if (created.filter(Boolean).length > 1) await ctx.state.update((agents) => inPlanOrder(agents, plans)).catch(() => undefined);
    return signal.aborted;
  }, onSignal);

  const notStarted = plans.slice(next).map((p) => p.branch);
  for (const b of notStarted) progress.update(b, 'not started');
  progress.stop();

  const order = new Map(plans.map((p, i) => [p.branch, i]));
  const byPlan = (a: string, b: string) => order.get(a)! - order.get(b)!;
  return {
    batchId: opts.batchId,
    plans: [...plans],
    created: created.filter((r): r is AgentRecord => r !== undefined),
    failed: failed.sort((a, b) => byPlan(a.branch, b.branch)),
    rolledBack: rolledBack.sort(byPlan),
    notStarted,
    interrupted,
  };
}

/** The batch's records sorted by plan, each in one of the slots they already held; others untouched. */
export function inPlanOrder(agents: AgentRecord[], plans: readonly CreatePlan[]): AgentRecord[] {
  const order = new Map(plans.map((p, i) => [`${p.repo}\0${p.branch}`, i]));
  const rank = (a: AgentRecord) => order.get(`${a.repo}\0${a.branch}`);
  const slots = agents.map((a, i) => (rank(a) === undefined ? -1 : i)).filter((i) => i >= 0);
  const mine = slots.map((i) => agents[i]!).sort((a, b) => rank(a)! - rank(b)!);
  const out = [...agents];
  slots.forEach((slot, k) => (out[slot] = mine[k]!));
  return out;
}

/**
 * What the batch's outcome means for the exit status: null when every agent runs, an
 * InterruptedError (130) after a signal, else a FleetError (1) naming the failed agents.
 * Each failure's own explanation (setup log tail, hint) is in `details`, to print before it.
 */
export function batchOutcome(result: BatchResult): { error: FleetError | null; details: string[] } {
  const details: string[] = [];
  for (const f of result.failed) {
    details.push(`✖ ${f.branch}: ${f.error.message}${f.error.hint ? `\n  ${f.error.hint}` : ''}`);
  }
  const total = result.plans.length;
  const kept = result.created.map((r) => r.branch);
  const list = (xs: string[]) => xs.join(', ');
  if (result.interrupted) {
    const parts = [`${kept.length} of ${total} agents kept${kept.length ? ` (${list(kept)})` : ''}`];
    if (result.rolledBack.length) parts.push(`${result.rolledBack.length} half-made rolled back (${list(result.rolledBack)})`);
    if (result.notStarted.length) parts.push(`${result.notStarted.length} not started (${list(result.notStarted)})`);
    if (result.failed.length) parts.push(`${result.failed.length} failed (${list(result.failed.map((f) => f.branch))})`);
    const hint = kept.length > 0 ? `fleet list --grouped shows them; fleet kill --batch ${result.batchId} ends them` : undefined;
    return { error: new FleetError(`interrupted: ${parts.join('; ')}`, { hint, exitCode: 130 }), details };
  }
  if (result.failed.length === 0) return { error: null, details };
  const names = result.failed.map((f) => f.branch);
  return {
    error: new FleetError(
      `${names.length} of ${total} agents could not be made and were rolled back: ${list(names)}` +
        (kept.length > 0 ? `; the other ${kept.length} are running` : ''),
      {
        hint:
          kept.length > 0
            ? `fix the cause above, then make ${names.length === 1 ? 'it' : 'them'} again in this batch: fleet multi ${names.map((n) => `${n}:"…"`).join(' ')} --batch ${result.batchId}`
            : `fix the cause above and run the command again`,
      },
    ),
    details,
  };
}
