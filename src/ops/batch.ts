import { ConflictError, InterruptedError, UsageError, toFleetError } from '../errors.js';
import type { Context, RepoContext } from '../context.js';
import type { AgentProfile } from '../core/profiles.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateBatchId, promptNeedsFile, type BatchFailure, type BatchResult } from '../core/batch.js';
import { findCollisions, planCreate, type CreatePlan } from '../core/create-plan.js';
import { agentRepoName, shortHash } from '../core/names.js';
import type { AgentRecord } from '../state/types.js';
import type { BatchProgress, ProgressFactory } from '../ui/progress.js';
import { createAgent, preflight, type PreflightFacts } from './create-agent.js';
import { withInterrupts } from '../process/interrupts.js';
import { warnFirstRun } from './agent-hooks.js';
import { checkoutSlots, Semaphore } from './schedule.js';

export interface BatchItem {
  branch: string;
  prompt: string;
  profile: AgentProfile;
  /** The file the prompt was read from (--prompt-file), so a retry hint can name it. */
  promptFile?: string | null;
  /** The host it runs on (--host, --hosts); null or absent: this machine. */
  host?: string | null;
}

export interface BatchRequest {
  batchId: string;
  items: readonly BatchItem[];
  base: string | null;
  quick: boolean;
  /** --budget (USD) for every agent; unset: budget_usd from the config. */
  budget?: number;
  /** Added to the hint when something already stands in an agent's way (what the caller could change). */
  conflictHint?: string;
  /** The URL of the issue every agent starts from (fanout --issue). */
  issue?: string | null;
}


/** A batch id no agent of any repository uses yet (`fanout-k3f9a2`). */
export async function newBatchId(ctx: Context, kind: 'fanout' | 'multi'): Promise<string> {
  const taken = new Set((await ctx.state.read()).map((r) => r.batch_id).filter((b): b is string => b !== null));
  return generateBatchId(kind, taken);
}

/**
 * Plan, preflight and make a batch (fanout and multi). Every agent is planned and checked
 * before anything is made, and any problem then throws having made nothing. Then the agents
 * are set up (see runBatch), reporting to the progress display `progress` makes for them. The
 * result says who runs, who failed and why; batchOutcome says what that means for the exit status.
 */
export async function createBatch(ctx: RepoContext, req: BatchRequest, opts: { progress: ProgressFactory }): Promise<BatchResult> {
  const records = await ctx.state.read();
  const plans = planBatch(ctx, req, agentRepoName(ctx.repo.root, ctx.repo.name, records));
  let pre: Map<string, PreflightFacts>;
  try {
    pre = await preflight(ctx, plans, records);
  } catch (e) {
    if (e instanceof ConflictError && req.conflictHint) {
      throw new ConflictError(`${e.message}; nothing was made`, `${e.hint ? `${e.hint}; ` : ''}${req.conflictHint}`);
    }
    throw e;
  }
  await warnFirstRun(ctx, plans);
  const progress = opts.progress(plans.map((p) => ({ branch: p.branch, agent: p.agent })));
  const result = await runBatch(ctx, plans, pre, { maxParallel: ctx.config.max_parallel, progress, batchId: req.batchId });
  result.retry = { base: req.base, quick: req.quick, promptFiles: retryPromptFiles(ctx, req, result) };
  return result;
}

/**
 * For each failed agent whose prompt a hint cannot show inline (long, or over several lines), a
 * file holding it exactly: the one it was read from, or a private copy in <fleet home>/prompts,
 * so the retry command can be pasted as it is. Only when there will be such a hint.
 */
function retryPromptFiles(ctx: Context, req: BatchRequest, result: BatchResult): Record<string, string> {
  const files: Record<string, string> = {};
  if (result.interrupted || result.created.length === 0) return files;
  for (const f of result.failed) {
    const item = req.items.find((i) => i.branch === f.branch);
    if (!item || !promptNeedsFile(item.prompt)) continue;
    if (item.promptFile) {
      files[f.branch] = item.promptFile;
      continue;
    }
    try {
      const dir = path.join(ctx.configs.home, 'prompts');
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, `${req.batchId}-${shortHash(item.prompt)}.txt`);
      fs.writeFileSync(file, item.prompt, { mode: 0o600 });
      files[f.branch] = file;
    } catch {
      // No copy: the hint quotes the prompt inline instead, still a command that works.
    }
  }
  return files;
}

/** One plan per agent, all validated (names, session collisions) before anything is touched. */
function planBatch(ctx: RepoContext, req: BatchRequest, repoName: string): CreatePlan[] {
  const plans = req.items.map((item) =>
    planCreate({
      repo: ctx.repo.root,
      repoName,
      branch: item.branch,
      prompt: item.prompt,
      profile: item.profile,
      config: ctx.config,
      batchId: req.batchId,
      base: req.base,
      quick: req.quick,
      issue: req.issue,
      budget: req.budget,
      host: item.host,
    }),
  );
  const collision = findCollisions(plans);
  if (collision) throw new UsageError(collision, 'rename one of them');
  return plans;
}

/**
 * Make the agents, at most `maxParallel` at once; of those, at most `checkoutSlots(CPUs, …)` check
 * out their worktree at once (the rest of each set-up overlaps the next checkout). A failure rolls
 * back only that agent (createAgent undoes its own steps); the others carry on. SIGINT/SIGTERM
 * stops starting new agents, aborts the ones in progress (each rolls itself back, setup commands
 * killed with their process group, queued checkouts never started) and keeps the finished ones.
 * Never throws for a failed agent: the result says who failed and why.
 */
async function runBatch(
  ctx: Context,
  plans: readonly CreatePlan[],
  pre: ReadonlyMap<string, PreflightFacts>,
  opts: { maxParallel: number; progress: BatchProgress; batchId: string },
): Promise<BatchResult> {
  const { progress } = opts;
  const created = new Array<AgentRecord | undefined>(plans.length);
  const failed: BatchFailure[] = [];
  const rolledBack: string[] = [];
  let next = 0;

  const onSignal = (count: number) => {
    if (count === 1) progress.note('interrupted: starting no more agents; rolling back the half-made ones (the finished ones stay)…');
    else progress.note('still cleaning up; please wait…');
  };

  const interrupted = await withInterrupts(async (signal) => {
    const checkouts = new Semaphore(checkoutSlots(os.availableParallelism(), opts.maxParallel));
    const makeOne = async (i: number) => {
      const plan = plans[i]!;
      try {
        created[i] = await createAgent(ctx, plan, pre.get(plan.branch)!, {
          signal,
          // createAgent reports "failed" before it undoes its steps; the outcome is reported once they are undone.
          onPhase: (phase) => progress.update(plan.branch, phase === 'failed' ? 'rolling back' : phase),
          onNote: (n) => progress.note(`${plan.branch}: ${n}`),
          checkoutSlot: (step) => checkouts.run(step, signal),
          onWarning: (w) => progress.note(`warning: ${plan.branch}: ${w}`),
        });
        progress.update(plan.branch, 'ready');
      } catch (e) {
        if (e instanceof InterruptedError) {
          rolledBack.push(plan.branch);
          progress.update(plan.branch, 'interrupted');
        } else {
          const error = toFleetError(e);
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
  }, { onSignal });

  const notStarted = plans.slice(next).map((p) => p.branch);
  for (const b of notStarted) progress.update(b, 'not started');
  progress.stop();

  const order = new Map(plans.map((p, i) => [p.branch, i]));
  const byPlan = (a: string, b: string) => order.get(a)! - order.get(b)!;
  return {
    batchId: opts.batchId,
    retry: { base: null, quick: false, promptFiles: {} },
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
