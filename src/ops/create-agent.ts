import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, FleetError, InterruptedError } from '../errors.js';
import type { Context, RepoContext } from '../context.js';
import type { AgentProfile, LaunchPlan } from '../core/profiles.js';
import type { FleetOption } from '../core/parse.js';
import { planCreate, type CreatePhase, type CreatePlan } from '../core/create-plan.js';
import { agentRepoName } from '../core/names.js';
import { copyFiles } from '../git/copy-files.js';
import { branchExists, currentBranch, deleteBranch, resolveCommit } from '../git/refs.js';
import { addWorktree, listWorktrees, removeWorktree } from '../git/worktrees.js';
import { sameClaim, thisOwner } from '../state/owner.js';
import { sameAgent } from '../state/state-manager.js';
import type { AgentRecord } from '../state/types.js';
import { launcherArgv, writeLaunchFile } from '../tmux/launcher.js';
import { agentEnv } from '../core/agent-env.js';
import { listPanes, newSession } from '../tmux/sessions.js';
import { tildify } from '../core/format.js';
import { endAgentProcesses } from './end-agent.js';
import type { Runner } from '../process/runner.js';
import { hookedStart, warnFirstRun } from './agent-hooks.js';
import { hostHookScriptPath } from '../hooks/hook-script.js';

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
  /** Warnings such as a credential file refused because the branch put a symbolic link in its way. */
  onWarning?: (warning: string) => void;
}

export interface CreateRequest {
  branch: string;
  prompt: string;
  profile: AgentProfile;
  /** --base, or null for the main checkout's HEAD. */
  base: string | null;
  /** Skip setup_commands. */
  quick: boolean;
  /** The URL of the issue it starts from (--issue). */
  issue?: string | null;
  /** --budget (USD); unset: budget_usd from the config. */
  budget?: number;
  /** --host NAME: make it on that host. */
  host?: string | null;
}

/** Plan one agent and check that nothing stands in its way (what a batch checks, for one). Makes nothing. */
export async function prepareCreate(ctx: RepoContext, req: CreateRequest): Promise<{ plan: CreatePlan; pre: PreflightFacts }> {
  const records = await ctx.state.read();
  const plan = planCreate({
    repo: ctx.repo.root,
    repoName: agentRepoName(ctx.repo.root, ctx.repo.name, records),
    branch: req.branch,
    prompt: req.prompt,
    profile: req.profile,
    config: ctx.config,
    base: req.base,
    quick: req.quick,
    issue: req.issue,
    budget: req.budget,
    host: req.host,
  });
  const pre = (await preflight(ctx, [plan], records)).get(plan.branch)!;
  await warnFirstRun(ctx, [plan]);
  return { plan, pre };
}

/** What preflight found out for one plan: whether its branch is new, and where the agent starts. */
export interface PreflightFacts {
  newBranch: boolean;
  baseCommit: string;
  /** The ref the user asked for (or the main checkout's branch), as recorded. */
  baseRef: string;
  /** On a host: its clone (absolute path there) and the remote user's home. */
  remote?: { repoPath: string; home: string };
}

/**
 * Check that nothing stands in the way of a plan: no agent on the branch, no session or
 * directory in the way, the branch not checked out elsewhere, the base resolvable.
 * Pure reads: it makes nothing.
 */
export async function preflight(ctx: Context, plans: readonly CreatePlan[], records: readonly AgentRecord[]): Promise<Map<string, PreflightFacts>> {
  const repo = plans[0]?.repo;
  if (!repo) return new Map();
  // Every read at once (a fanout of 100 would otherwise wait on 200 git calls in a row); the
  // checks below still run in plan order, so the first problem reported is the same.
  const [worktrees, panes, headBranch, facts] = await Promise.all([
    listWorktrees(ctx.run, repo),
    listPanes(ctx.run),
    currentBranch(ctx.run, repo),
    Promise.all(
      plans.map(async (plan) => {
        const exists = await branchExists(ctx.run, repo, plan.branch);
        // An existing branch: its own tip is where the agent starts; "changes" count from the merge base.
        return { exists, commit: await resolveCommit(ctx.run, repo, exists ? `refs/heads/${plan.branch}` : (plan.baseRef ?? 'HEAD')) };
      }),
    ),
  ]);
  const sessions = new Map(panes.map((p) => [p.session, p]));
  const home = ctx.env.HOME;
  const out = new Map<string, PreflightFacts>();
  for (const [i, plan] of plans.entries()) {
    if (records.some((r) => sameAgent(r, plan))) throw agentExists(plan.branch);
    const inTheWay = sessions.get(plan.session);
    if (inTheWay) throw sessionInTheWay(plan.session, inTheWay.fleet);
    // A record of another branch with this session name (an older fleet named feat/login and feat-login alike).
    const holder = records.find((r) => r.session === plan.session);
    if (holder) throw sessionInTheWay(plan.session, holder);
    const checkedOut = plan.host ? undefined : worktrees.find((w) => w.branch === plan.branch);
    if (checkedOut) {
      throw new ConflictError(
        `branch "${plan.branch}" is already checked out at ${tildify(checkedOut.path, home)}`,
        // An agent works on a branch of its own: start one from this branch rather than move the user's checkout.
        checkedOut.path === repo
          ? `start a new branch from it: fleet create ${plan.branch}-work --base ${plan.branch}`
          : `start a new branch from it (fleet create ${plan.branch}-work --base ${plan.branch}), or git worktree remove ${checkedOut.path} first`,
      );
    }
    if (!plan.host && fs.existsSync(plan.worktree)) {
      throw new ConflictError(`${tildify(plan.worktree, home)} already exists`, `fleet prune removes fleet's leftovers; otherwise move it away`);
    }
    const { exists, commit: baseCommit } = facts[i]!;
    let baseRef: string;
    if (exists) {
      if (plan.baseRef) {
        throw new ConflictError(`branch "${plan.branch}" already exists, so --base does not apply`, `drop --base to reuse the branch, or pick a new branch name`);
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
  if (plans.some((p) => p.host)) {
    // On a host: the clone made and the base commits pushed, once per host, before any agent is made.
    const { preflightHosts } = await import('../remote/host-create.js');
    await preflightHosts(ctx, plans, out);
  }
  return out;
}

/**
 * A session by the agent's name exists. Never suggest killing it: it may be fleet's agent of
 * another branch (an older fleet gave feat/login and feat-login one name) or the user's own.
 */
export function sessionInTheWay(session: string, owner: { repo?: string; branch?: string }): ConflictError {
  if (owner.branch !== undefined) {
    return new ConflictError(
      `the tmux session name "${session}" belongs to fleet's agent on branch "${owner.branch}"${owner.repo ? ` of ${owner.repo}` : ''}`,
      'pick another branch name; fleet list --all shows that agent',
    );
  }
  return new ConflictError(
    `tmux session "${session}" already exists and is not one of fleet's agents`,
    `pick another branch name, or rename that session: tmux rename-session -t '=${session}' NEW-NAME`,
  );
}

/** The claim of an agent being set up was removed meanwhile (by hand, or by an older fleet's kill or prune). */
function claimLost(branch: string): FleetError {
  return new FleetError(`"${branch}" was removed while it was being set up; rolled back what was made for it`, {
    hint: `fleet create ${branch} again if you still want it`,
  });
}

function agentExists(branch: string): ConflictError {
  return new ConflictError(`branch "${branch}" already has an agent`, `fleet attach ${branch}, or fleet kill ${branch} first`);
}

/**
 * Make one agent: claim the branch in state, worktree, credential files, setup commands,
 * tmux session, then mark it ready. Any failure (or abort) undoes every step made so far, in
 * reverse, and drops the claim. The claim must still be there before the session starts and
 * when it is marked ready; if it was taken away meanwhile, that is a failure too, so no session
 * ever runs without a record and no agent is reported ready that someone removed.
 */
export async function createAgent(
  ctx: Context,
  plan: CreatePlan,
  pre: PreflightFacts,
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
    ...thisOwner(),
    issue: plan.issue,
    budget_usd: plan.budgetUsd,
    ...(plan.host ? { host: plan.host, remote_repo: pre.remote!.repoPath, created_branch: true } : {}),
  };
  const claim = { ...record };
  const isClaim = (a: AgentRecord) => a.phase === 'creating' && sameClaim(a, claim);

  // The claim: checked and written under the state lock, so two processes can't both take a branch.
  await ctx.state.update((agents) => {
    if (agents.some((a) => sameAgent(a, record))) throw agentExists(plan.branch);
    const holder = agents.find((a) => a.session === record.session);
    if (holder) throw sessionInTheWay(record.session, holder);
    return [...agents, record];
  });
  // Only this claim: a record someone made on the branch since is theirs.
  undo.push(() => ctx.state.update((agents) => agents.filter((a) => !isClaim(a))));

  // Flags, environment and tmux options that make the agent report its state (src/hooks). On a
  // host, with the host's hook script (stepsOnHost writes it there); an unhooked agent there gets no pane-died hook.
  const hostScript = plan.host ? hostHookScriptPath(pre.remote!.home) : undefined;
  const start = hookedStart(ctx, { kind: plan.hooks, launch: plan.launch, repo: plan.repo, resuming: false, onNote: hooks.onNote, hostScript });
  if (plan.host && !start.hooks) start.paneDied = '';
  record.hooks = start.hooks;
  record.conversation_id = start.conversation;
  // What the agent (and its setup commands) start with: the caller's environment, not the tmux server's.
  // On a host, nothing of this machine's environment (launchEnv): the host's own is the one doctor checked.
  const env = launchEnv(ctx, { ...record, batch_id: plan.batchId }, plan.env, start.env);

  // Between set-up and session: the claim must still be there (see above).
  const beforeSession = async () => {
    checkAbort();
    if (!(await ctx.state.read()).some(isClaim)) throw claimLost(plan.branch);
    hooks.onPhase?.('starting');
  };

  try {
    if (plan.host) {
      // The same steps on the host, over ssh (remote/host-create.ts); the claim, undo and abort checks are these.
      const { stepsOnHost } = await import('../remote/host-create.js');
      await stepsOnHost(ctx, plan, pre, { record, env, undo, hooks, beforeSession, start });
    } else {
      checkAbort();
      await (hooks.checkoutSlot ?? ((step) => step()))(async () => {
        checkAbort();
        hooks.onPhase?.('creating worktree');
        await addWorktree(ctx.run, plan.repo, { dir: plan.worktree, branch: plan.branch, newBranch: pre.newBranch, base: pre.baseCommit });
      });
      let sessionStarted = false;
      undo.push(async () => {
        // The session (once started) and everything still running in the worktree: the agent's
        // processes, and anything a setup command left behind (a dev server it started, say).
        await endAgentProcesses(ctx, { session: sessionStarted ? plan.session : null, worktree: plan.worktree });
        await removeWorktree(ctx.run, plan.repo, plan.worktree, { worktreeRoot: ctx.config.worktree_root, force: true }).catch(() => {
          fs.rmSync(plan.worktree, { recursive: true, force: true });
        });
        if (pre.newBranch) await deleteBranch(ctx.run, plan.repo, plan.branch, true).catch(() => undefined);
      });

      await copyAndSetup(ctx, plan, { record, env, hooks }, async (patterns) => copyFiles(plan.repo, plan.worktree, patterns), ctx.run);

      await beforeSession();
      await startAgentSession(ctx, { ...start, record, env, text: plan.prompt });
      sessionStarted = true;
    }

    checkAbort();
    record.phase = 'ready';
    record.owner_pid = null;
    record.owner_start = null;
    await ctx.state.update((agents) => {
      if (!agents.some(isClaim)) throw claimLost(plan.branch);
      return agents.map((a) => (isClaim(a) ? { ...record } : a));
    });
    hooks.onPhase?.('ready');
    return record;
  } catch (e) {
    hooks.onPhase?.('failed', e instanceof Error ? e.message : String(e));
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw e;
  }
}

/**
 * Credential files (`copy`: here, or over ssh to a host), then setup commands (through `run`:
 * here, or on the host), each reported through the hooks and stopped by an abort.
 */
export async function copyAndSetup(
  ctx: Context,
  plan: CreatePlan,
  s: { record: AgentRecord; env: Record<string, string>; hooks: CreateHooks },
  copy: (patterns: readonly string[]) => Promise<{ copied: string[]; notes: string[]; warnings: string[] }>,
  run: Runner,
): Promise<void> {
  const { hooks } = s;
  if (hooks.signal?.aborted) throw new InterruptedError();
  if (plan.copyPatterns.length > 0) {
    hooks.onPhase?.('copying files');
    const { copied, notes, warnings } = await copy(plan.copyPatterns);
    s.record.copied_files = copied;
    for (const n of notes) hooks.onNote?.(n);
    for (const w of warnings) hooks.onWarning?.(w);
  }
  if (plan.setupCommands.length > 0) {
    if (hooks.signal?.aborted) throw new InterruptedError();
    hooks.onPhase?.('setup');
    await runSetup(ctx, plan, s.env, hooks.signal, run);
  }
}

/**
 * The environment an agent starts with (core/agent-env): the caller's, then the kind's defaults
 * with what its hooks need on top (GEMINI_CLI_HOME, OPENCODE_CONFIG_CONTENT), the config's [env],
 * the profile's own, and the FLEET_* variables.
 */
export function launchEnv(
  ctx: Context,
  r: Pick<AgentRecord, 'repo' | 'branch' | 'worktree' | 'batch_id' | 'agent' | 'host'>,
  profileEnv: AgentProfile['env'],
  hookEnv: Record<string, string>,
): Record<string, string> {
  return agentEnv({
    // On a host, nothing of this machine's environment: its PATH and HOME mean nothing there.
    caller: r.host ? {} : ctx.env,
    profile: { defaults: { ...profileEnv.defaults, ...hookEnv }, own: profileEnv.own },
    config: ctx.config.env,
    fleet: { FLEET_REPO: r.repo, FLEET_BRANCH: r.branch, FLEET_WORKTREE: r.worktree, FLEET_BATCH: r.batch_id ?? '', FLEET_AGENT: r.agent },
    worktree: r.worktree,
  });
}

/** The @fleet_* options of an agent's session: what a rebuilt state and prune read back. */
export function agentSessionOptions(r: AgentRecord): Partial<Record<FleetOption, string>> {
  return {
    repo: r.repo,
    branch: r.branch,
    batch: r.batch_id ?? undefined,
    agent: r.agent,
    worktree: r.worktree,
    created: r.created_at,
    base: r.base_commit,
    host: r.host ?? undefined,
  };
}

/**
 * Start the agent of `record` in a new tmux session in its worktree: the launch plan's argv
 * with `text` (the prompt) in its slot and `env` as its environment, both through the 0600
 * launch file; the @fleet_* options that let a lost state.json be rebuilt (plus `options`: its
 * hooks and conversation), and the session's pane-died hook. create and revive both start
 * agents here.
 */
export async function startAgentSession(
  ctx: Context,
  s: {
    record: AgentRecord;
    launch: LaunchPlan;
    text: string;
    env: Record<string, string>;
    options: Partial<Record<FleetOption, string>>;
    extraOptions: Record<string, string>;
    paneDied: string;
  },
): Promise<void> {
  const r = s.record;
  const launchFile = writeLaunchFile(ctx.configs.home, r.session, s.env, s.text);
  try {
    await newSession(ctx.run, {
      name: r.session,
      cwd: r.worktree,
      argv: launcherArgv(s.launch, launchFile),
      options: { ...agentSessionOptions(r), ...s.options },
      extraOptions: s.extraOptions,
      paneDied: s.paneDied,
    });
  } catch (e) {
    fs.rmSync(launchFile, { force: true });
    throw e;
  }
}

/** Run setup_commands in the worktree; output goes to a log whose tail is shown on failure. */
export async function runSetup(ctx: Context, plan: CreatePlan, env: Record<string, string>, signal?: AbortSignal, run: Runner = ctx.run): Promise<void> {
  const logDir = path.join(ctx.configs.home, 'logs');
  fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const log = path.join(logDir, `${plan.session}.setup.log`);
  fs.writeFileSync(log, '', { mode: 0o600 });
  for (const cmd of plan.setupCommands) {
    fs.appendFileSync(log, `$ ${cmd}\n`);
    let exitCode: number;
    try {
      const r = await run('bash', ['-c', cmd], {
        cwd: plan.worktree,
        outputFile: log,
        reject: false,
        signal,
        // Its own process group: an abort kills the command and everything it started (npm's children).
        detached: true,
        env,
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
        hint: `full log: ${tildify(log, ctx.env.HOME)}; fix setup_commands, or skip them with --quick`,
      });
    }
  }
}
