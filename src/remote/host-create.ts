/**
 * create/fanout/multi --host: what ops/create-agent.ts does locally, done on a host. The claim,
 * the undo list and the abort checks are create-agent's; the steps here run over ssh.
 */
import { ConflictError, InterruptedError } from '../errors.js';
import type { Context } from '../context.js';
import type { CreatePlan } from '../core/create-plan.js';
import { agentSessionOptions, copyAndSetup, sessionInTheWay, type CreateHooks, type PreflightFacts } from '../ops/create-agent.js';
import type { AgentRecord } from '../state/types.js';
import { launcherArgv } from '../tmux/launcher.js';
import { localBranches } from '../git/refs.js';
import { listPanes, newSession } from '../tmux/sessions.js';
import { addHostWorktree, copyHostFiles, endHostProcesses, ensureHostHookScript, hostWorktreePath, removeHostFile, removeHostWorktree, writeHostLaunchFile } from './host-agent.js';
import type { HookedStart } from '../ops/agent-hooks.js';
import type { FleetOption } from '../core/parse.js';
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
        localBranches(place.run, repo!.path),
      ]);
      const branches = new Set(heads);
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
  /** The abort and claim checks before the session starts. */
  beforeSession: () => Promise<void>;
  /** The launch with its hooks (ops/agent-hooks.ts hookedStart, with the host's script path). */
  start: HookedStart;
}

/**
 * The steps of createAgent on the host, up to the started session: worktree, credential files,
 * setup commands, launch file, session. Each undo goes on `undo` (createAgent runs them on a
 * failure or abort, and holds the claim).
 */
export async function stepsOnHost(ctx: Context, plan: CreatePlan, pre: PreflightFacts, s: Steps): Promise<void> {
  const { record, env, undo, hooks } = s;
  const place: HostPlace = hostPlace(ctx, plan.host!, plan.repoName);
  const { repoPath, home } = pre.remote!;
  const checkAbort = () => {
    if (hooks.signal?.aborted) throw new InterruptedError();
  };
  checkAbort();
  hooks.onPhase?.('creating worktree');
  await addHostWorktree(place, repoPath, { dir: plan.worktree, branch: plan.branch, commit: pre.baseCommit });
  let sessionStarted = false;
  undo.push(async () => {
    await endHostProcesses(place, { session: sessionStarted ? plan.session : null, worktree: plan.worktree });
    await removeHostWorktree(place, repoPath, plan.worktree, plan.branch, { deleteBranch: true });
  });

  // Setup commands: an abort ends the local ssh; what a command left running on the host is in
  // the worktree, and the undo step ends it there.
  await copyAndSetup(ctx, plan, { record, env, hooks }, (patterns) => copyHostFiles(place, plan.repo, plan.worktree, patterns), place.setup);

  await s.beforeSession();
  await startOnHost(place, home, { ...s.start, record, env, text: plan.prompt, options: { ...agentSessionOptions(record), ...s.start.options } });
  sessionStarted = true;
}

/**
 * The remote twin of ops/create-agent.ts startAgentSession (create and revive): the hook script
 * on the host when the agent is hooked (or has a pane-died hook), the 0600 launch file through
 * ssh's stdin, and the tmux session there with its options and hooks.
 */
export async function startOnHost(
  place: HostPlace,
  home: string,
  s: Pick<HookedStart, 'launch' | 'extraOptions' | 'paneDied' | 'hooks'> & { record: AgentRecord; env: Record<string, string>; text: string; options: Partial<Record<FleetOption, string>> },
): Promise<void> {
  if (s.hooks || s.paneDied) await ensureHostHookScript(place, home);
  const r = s.record;
  const launchFile = await writeHostLaunchFile(place, home, r.session, s.env, s.text);
  try {
    await newSession(place.run, {
      name: r.session,
      cwd: r.worktree,
      argv: launcherArgv(s.launch, launchFile, { keepEnv: true }),
      options: s.options,
      extraOptions: s.extraOptions,
      paneDied: s.paneDied,
    });
  } catch (e) {
    await removeHostFile(place, launchFile).catch(() => undefined);
    throw e;
  }
}
