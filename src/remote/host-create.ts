/**
 * create/fanout/multi --host: what ops/create-agent.ts does locally, done on a host. The claim,
 * the undo list and the abort checks are create-agent's; the steps here run over ssh.
 */
import { ConflictError, InterruptedError } from '../errors.js';
import type { Context } from '../context.js';
import type { CreatePlan } from '../core/create-plan.js';
import { runSetup, sessionInTheWay, type CreateHooks, type PreflightFacts } from '../ops/create-agent.js';
import type { AgentRecord } from '../state/types.js';
import { launcherArgv } from '../tmux/launcher.js';
import { listPanes, newSession } from '../tmux/sessions.js';
import { addHostWorktree, copyHostFiles, endHostProcesses, hostWorktreePath, removeHostFile, removeHostWorktree, writeHostLaunchFile } from './host-agent.js';
import { hostPlace, type HostPlace } from './host-place.js';
import { syncBase } from './repo-sync.js';

/**
 * For every plan on a host: the host's clone made and the base commit pushed (once per host and
 * commit), the worktree path set under the host's home, and nothing in the way there (a session
 * of that name, the branch in the host's clone). Reads and the push only: no agent is made.
 */
export async function preflightHosts(ctx: Context, plans: readonly CreatePlan[], facts: Map<string, PreflightFacts>): Promise<void> {
  const byHost = new Map<string, CreatePlan[]>();
  for (const p of plans) if (p.host) byHost.set(p.host, [...(byHost.get(p.host) ?? []), p]);
  await Promise.all(
    [...byHost].map(async ([name, mine]) => {
      const place = hostPlace(ctx, name, mine[0]!.repoName);
      const commits = [...new Set(mine.map((p) => facts.get(p.branch)!.baseCommit))];
      let repo: { path: string; home: string } | undefined;
      for (const commit of commits) repo = await syncBase(place.git, { localRepo: mine[0]!.repo, repoPath: place.host.repoPath, commit });
      const [panes, heads] = await Promise.all([
        listPanes(place.run),
        place.run('git', ['for-each-ref', '--format=%(refname:lstrip=2)', 'refs/heads/'], { cwd: repo!.path }),
      ]);
      const branches = new Set(heads.stdout.split('\n').filter(Boolean));
      for (const plan of mine) {
        const inTheWay = panes.find((p) => p.session === plan.session);
        if (inTheWay) throw sessionInTheWay(plan.session, inTheWay.fleet);
        if (branches.has(plan.branch)) {
          throw new ConflictError(
            `branch "${plan.branch}" already exists in the clone on host "${name}" (${repo!.path})`,
            `pick another branch name, or delete it there: ssh to the host and run git -C ${repo!.path} branch -D ${plan.branch}`,
          );
        }
        plan.worktree = hostWorktreePath(repo!.home, plan.repoName, plan.branch);
        facts.set(plan.branch, { ...facts.get(plan.branch)!, remote: { repoPath: repo!.path, home: repo!.home } });
      }
    }),
  );
}

interface Steps {
  record: AgentRecord;
  env: Record<string, string>;
  undo: Array<() => Promise<unknown>>;
  hooks: CreateHooks;
  isClaim: (a: AgentRecord) => boolean;
  claimLost: () => Error;
}

/** The steps of createAgent on the host (the claim is already in state, its undo on `undo`). */
export async function createOnHost(ctx: Context, plan: CreatePlan, pre: PreflightFacts, s: Steps): Promise<AgentRecord> {
  const { record, env, undo, hooks } = s;
  const place: HostPlace = hostPlace(ctx, plan.host!, plan.repoName);
  const { repoPath, home } = pre.remote!;
  const checkAbort = () => {
    if (hooks.signal?.aborted) throw new InterruptedError();
  };
  try {
    checkAbort();
    hooks.onPhase?.('creating worktree');
    await addHostWorktree(place, repoPath, { dir: plan.worktree, branch: plan.branch, commit: pre.baseCommit });
    let sessionStarted = false;
    undo.push(async () => {
      await endHostProcesses(place, { session: sessionStarted ? plan.session : null, worktree: plan.worktree });
      await removeHostWorktree(place, repoPath, plan.worktree, plan.branch, { deleteBranch: true });
    });

    checkAbort();
    if (plan.copyPatterns.length > 0) {
      hooks.onPhase?.('copying files');
      const { copied, notes, warnings } = await copyHostFiles(place, plan.repo, plan.worktree, plan.copyPatterns);
      record.copied_files = copied;
      for (const n of notes) hooks.onNote?.(n);
      for (const w of warnings) hooks.onWarning?.(w);
    }

    if (plan.setupCommands.length > 0) {
      checkAbort();
      hooks.onPhase?.('setup');
      // An abort ends the local ssh; what the command left running on the host is in the
      // worktree, and the undo step ends it there.
      await runSetup(ctx, plan, env, hooks.signal, place.setup);
    }

    checkAbort();
    if (!(await ctx.state.read()).some(s.isClaim)) throw s.claimLost();
    hooks.onPhase?.('starting');
    const launchFile = await writeHostLaunchFile(place, home, plan.session, env, plan.prompt);
    try {
      await newSession(place.run, {
        name: plan.session,
        cwd: plan.worktree,
        argv: launcherArgv(plan.launch, launchFile, { keepEnv: true }),
        options: {
          repo: plan.repo,
          branch: plan.branch,
          batch: plan.batchId ?? undefined,
          agent: plan.agent,
          worktree: plan.worktree,
          created: record.created_at,
          base: pre.baseCommit,
          host: plan.host!,
        },
      });
    } catch (e) {
      await removeHostFile(place, launchFile).catch(() => undefined);
      throw e;
    }
    sessionStarted = true;

    checkAbort();
    record.phase = 'ready';
    record.owner_pid = null;
    record.owner_start = null;
    await ctx.state.update((agents) => {
      if (!agents.some(s.isClaim)) throw s.claimLost();
      return agents.map((a) => (s.isClaim(a) ? { ...record } : a));
    });
    hooks.onPhase?.('ready');
    return record;
  } catch (e) {
    hooks.onPhase?.('failed', e instanceof Error ? e.message : String(e));
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw e;
  }
}
