import fs from 'node:fs';
import path from 'node:path';
import { FleetError, InterruptedError } from '../errors.js';
import type { Context } from '../context.js';
import type { CreatePlan } from '../core/create-plan.js';
import { sameAgent } from '../state/state-manager.js';
import type { AgentRecord } from '../state/types.js';
import { launcherArgv, writePromptFile } from '../tmux/launcher.js';
import { tildify } from '../ui/output.js';

export type CreatePhase = 'queued' | 'creating worktree' | 'copying files' | 'setup' | 'starting' | 'ready' | 'failed';

export interface CreateHooks {
  onPhase?: (phase: CreatePhase, detail?: string) => void;
  /** Aborts between steps and kills a running setup command; everything made is rolled back. */
  signal?: AbortSignal;
  /** Notes such as a missing credential file. */
  onNote?: (note: string) => void;
  /**
   * Wraps the worktree checkout, e.g. to wait for a free checkout slot (runBatch). Resolves only
   * when the step did; may reject (on abort) without running it.
   */
  checkoutSlot?: <T>(step: () => Promise<T>) => Promise<T>;
}

/**
 * Check that nothing stands in the way of a plan: no agent on the branch, no session or
 * directory in the way, the branch not checked out elsewhere, the base resolvable.
 * Pure reads: it makes nothing.
 */
export async function preflight(ctx: Context, plans: readonly CreatePlan[], records: readonly AgentRecord[]): Promise<Map<string, { newBranch: boolean; baseCommit: string; baseRef: string }>> {
  const repo = plans[0]?.repo;
  if (!repo) return new Map();
  // Every read at once (a fanout of 100 would otherwise wait on 200 git calls in a row); the
  // checks below still run in plan order, so the first problem reported is the same.
  const [worktrees, panes, headBranch, facts] = await Promise.all([
    ctx.git.list(repo),
    ctx.tmux.listPanes(),
    ctx.git.currentBranch(repo),
    Promise.all(
      plans.map(async (plan) => {
        const exists = await ctx.git.branchExists(repo, plan.branch);
        // An existing branch: its own tip is where the agent starts; "changes" count from the merge base.
        return { exists, commit: await ctx.git.resolveCommit(repo, exists ? `refs/heads/${plan.branch}` : (plan.baseRef ?? 'HEAD')) };
      }),
    ),
  ]);
  const sessions = new Set(panes.map((p) => p.session));
  const out = new Map<string, { newBranch: boolean; baseCommit: string; baseRef: string }>();
  for (const [i, plan] of plans.entries()) {
    if (records.some((r) => sameAgent(r, plan))) {
      throw new FleetError(`branch "${plan.branch}" already has an agent`, {
        hint: `fleet attach ${plan.branch}, or fleet kill ${plan.branch} first`,
      });
    }
    if (sessions.has(plan.session)) {
      throw new FleetError(`tmux session "${plan.session}" already exists`, {
        hint: `it is not one fleet knows of; fleet prune removes fleet's leftovers, or tmux kill-session -t '=${plan.session}'`,
      });
    }
    const checkedOut = worktrees.find((w) => w.branch === plan.branch);
    if (checkedOut) {
      throw new FleetError(`branch "${plan.branch}" is already checked out at ${tildify(checkedOut.path)}`, {
        hint: checkedOut.path === repo ? `switch the main checkout to another branch first (git switch -)` : `git worktree remove ${checkedOut.path}, or pick another branch name`,
      });
    }
    if (fs.existsSync(plan.worktree)) {
      throw new FleetError(`${tildify(plan.worktree)} already exists`, {
        hint: `fleet prune removes fleet's leftovers; otherwise move it away`,
      });
    }
    const { exists, commit: baseCommit } = facts[i]!;
    let baseRef: string;
    if (exists) {
      if (plan.baseRef) {
        throw new FleetError(`branch "${plan.branch}" already exists, so --base does not apply`, {
          hint: `drop --base to reuse the branch, or pick a new branch name`,
        });
      }
      baseRef = headBranch ?? 'HEAD';
    } else {
      baseRef = plan.baseRef ?? headBranch ?? 'HEAD';
      if (!baseCommit) {
        throw plan.baseRef
          ? new FleetError(`--base "${plan.baseRef}" is not a commit in this repository`, { hint: 'git branch -a lists branches; any commit-ish works' })
          : new FleetError('the repository has no commits yet', { hint: 'make a first commit: git commit --allow-empty -m "initial commit"' });
      }
    }
    out.set(plan.branch, { newBranch: !exists, baseCommit: baseCommit ?? '', baseRef });
  }
  return out;
}

/**
 * Make one agent: claim the branch in state, worktree, credential files, setup commands,
 * tmux session, then mark it ready. Any failure (or abort) undoes every step made so far, in
 * reverse, and drops the claim.
 */
export async function createAgent(
  ctx: Context,
  plan: CreatePlan,
  pre: { newBranch: boolean; baseCommit: string; baseRef: string },
  hooks: CreateHooks = {},
): Promise<AgentRecord> {
  const undo: Array<() => Promise<unknown>> = [];
  const checkAbort = () => {
    if (hooks.signal?.aborted) throw new InterruptedError();
  };
  const record: AgentRecord = {
    repo: plan.repo,
    repo_name: plan.repoName,
    branch: plan.branch,
    batch_id: plan.batchId,
    agent: plan.agent,
    session: plan.session,
    worktree: plan.worktree,
    base_commit: pre.baseCommit,
    base_ref: pre.baseRef,
    created_branch: pre.newBranch,
    copied_files: [],
    created_at: new Date().toISOString(),
    prompt_preview: plan.prompt.slice(0, 500),
    phase: 'creating',
    owner_pid: process.pid,
  };

  // The claim: checked and written under the state lock, so two processes can't both take a branch.
  await ctx.state.update((agents) => {
    const clash = agents.find((a) => sameAgent(a, record) || a.session === record.session);
    if (clash) {
      throw new FleetError(`branch "${plan.branch}" already has an agent`, { hint: `fleet attach ${plan.branch}, or fleet kill ${plan.branch} first` });
    }
    return [...agents, record];
  });
  undo.push(() => ctx.state.update((agents) => agents.filter((a) => !sameAgent(a, record))));

  try {
    checkAbort();
    await (hooks.checkoutSlot ?? ((step) => step()))(async () => {
      checkAbort();
      hooks.onPhase?.('creating worktree');
      await ctx.git.add(plan.repo, { dir: plan.worktree, branch: plan.branch, newBranch: pre.newBranch, base: pre.baseCommit });
    });
    undo.push(async () => {
      await ctx.git.remove(plan.repo, plan.worktree, { worktreeRoot: ctx.config.worktree_root, force: true }).catch(() => {
        fs.rmSync(plan.worktree, { recursive: true, force: true });
      });
      if (pre.newBranch) await ctx.git.deleteBranch(plan.repo, plan.branch, true).catch(() => undefined);
    });

    checkAbort();
    if (plan.copyPatterns.length > 0) {
      hooks.onPhase?.('copying files');
      const { copied, notes } = ctx.git.copyFiles(plan.repo, plan.worktree, plan.copyPatterns);
      record.copied_files = copied;
      for (const n of notes) hooks.onNote?.(n);
    }

    if (plan.setupCommands.length > 0) {
      checkAbort();
      hooks.onPhase?.('setup');
      await runSetup(ctx, plan, hooks.signal);
    }

    checkAbort();
    hooks.onPhase?.('starting');
    const promptFile = writePromptFile(ctx.configs.home, plan.session, plan.prompt);
    try {
      await ctx.tmux.newSession({
        name: plan.session,
        cwd: plan.worktree,
        argv: launcherArgv(plan.launch, promptFile, {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          FLEET_REPO: plan.repo,
          FLEET_BRANCH: plan.branch,
          FLEET_WORKTREE: plan.worktree,
          FLEET_BATCH: plan.batchId ?? '',
          FLEET_AGENT: plan.agent,
        }),
        options: {
          repo: plan.repo,
          branch: plan.branch,
          batch: plan.batchId ?? undefined,
          agent: plan.agent,
          worktree: plan.worktree,
          created: record.created_at,
          base: pre.baseCommit,
        },
      });
    } catch (e) {
      fs.rmSync(promptFile, { force: true });
      throw e;
    }
    undo.push(() => ctx.tmux.killSession(plan.session));

    checkAbort();
    record.phase = 'ready';
    record.owner_pid = null;
    await ctx.state.update((agents) => agents.map((a) => (sameAgent(a, record) ? { ...record } : a)));
    hooks.onPhase?.('ready');
    return record;
  } catch (e) {
    hooks.onPhase?.('failed', e instanceof Error ? e.message : String(e));
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw e;
  }
}

/** Run setup_commands in the worktree; output goes to a log whose tail is shown on failure. */
async function runSetup(ctx: Context, plan: CreatePlan, signal?: AbortSignal): Promise<void> {
  const logDir = path.join(ctx.configs.home, 'logs');
  fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const log = path.join(logDir, `${plan.session}.setup.log`);
  fs.writeFileSync(log, '', { mode: 0o600 });
  for (const cmd of plan.setupCommands) {
    fs.appendFileSync(log, `$ ${cmd}\n`);
    let exitCode: number;
    try {
      const r = await ctx.run('bash', ['-c', cmd], {
        cwd: plan.worktree,
        outputFile: log,
        reject: false,
        signal,
        // Its own process group: an abort kills the command and everything it started (npm's children).
        detached: true,
        env: { FLEET_REPO: plan.repo, FLEET_BRANCH: plan.branch, FLEET_WORKTREE: plan.worktree },
      });
      exitCode = r.exitCode;
    } catch (e) {
      if (signal?.aborted) throw new InterruptedError();
      throw e;
    }
    if (signal?.aborted) throw new InterruptedError();
    if (exitCode !== 0) {
      const tail = fs.readFileSync(log, 'utf8').trimEnd().split('\n').slice(-15).map((l) => `  | ${l}`).join('\n');
      throw new FleetError(`setup command failed for "${plan.branch}" (exit ${exitCode}): ${cmd}\n${tail}`, {
        hint: `full log: ${tildify(log)}; fix setup_commands, or skip them with --quick`,
      });
    }
  }
}
