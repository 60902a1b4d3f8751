/**
 * The dashboard's one door into fleet. Everything the web server does to agents (list, measure,
 * read a screen, prompt, diff, kill, pick, create, fanout) goes through the functions of
 * `FleetOps` below, and each of them calls the same operation (src/ops/*) the CLI command calls:
 * no workflow is written again here, only the page's requests turned into the operations'
 * arguments and their results into the page's answers. Only this file imports fleet's ops.
 *
 * Rows are passed through as fleet's list makes them: fields that later versions add to a list
 * row (state_reason, state_since, usage, …) reach the page without changes here.
 */
import fs from 'node:fs';
import { FleetError, UsageError } from '../errors.js';
import { loadContext, type BaseContext, type RepoContext } from '../context.js';
import type { RepoInfo } from '../git/repo.js';
import type { AgentRecord } from '../state/types.js';
import type { Ui } from '../ui/output.js';
import type { ProgressFactory } from '../ui/progress.js';
import type { ChangeStats, PickStrategy } from '../core/changes.js';
import { batchOutcome, fanoutBranches } from '../core/batch.js';
import type { PaneCapture } from '../core/pane-capture.js';
import { profileNames } from '../core/profiles.js';
import { diffPatch } from '../git/diff.js';
import { listPanesAndScreens, type HistoryWanted } from '../tmux/screens.js';
import { fanoutArgs } from '../commands/fanout.js';
import { collectRows, type ListedAgent } from '../ops/list.js';
import { UsageSampler } from '../ops/metrics.js';
import { NotReadyError, sendPrompt } from '../ops/agent-session.js';
import { resolveAgent } from '../ops/resolve-agent.js';
import { createAgent, prepareCreate } from '../ops/create-agent.js';
import { createBatch, newBatchId } from '../ops/batch.js';
import { killAgent } from '../ops/kill-agent.js';
import { agentChange, changeStats } from '../ops/changes.js';
import { planPick, executePick } from '../ops/pick.js';
import { describeUnsaved } from '../core/unsaved.js';
import { plural } from '../core/format.js';

/** One agent as the page shows it: a list row (whatever fields fleet's list gives) keyed by its session. */
export type AgentRow = ListedAgent & Record<string, unknown>;

/** What an action tells the user besides its result (fleet's notes and warnings). */
export interface Said {
  notes: string[];
}

export interface Refreshed {
  rows: AgentRow[];
  /** The panes asked for: a capture, or why there is none (the session is gone). */
  captures: Map<string, PaneCapture | { error: string; hint?: string }>;
}

export interface DiffResult {
  /** Unified diff, no colour codes (the page colours it). */
  text: string;
  base: string;
  /** "worktree": commits + uncommitted + new files; "branch": the worktree is gone, commits only. */
  source: 'worktree' | 'branch';
  truncated: boolean;
}

export interface KillRequest {
  force?: boolean;
  deleteBranch?: boolean;
}

export interface PickRequestBody {
  strategy: PickStrategy;
  into?: string;
  message?: string;
}

export interface PickPlanSummary {
  winner: string;
  into: string;
  strategy: PickStrategy;
  /** Files of uncommitted work that will be committed first. */
  winnerDirty: number;
  /** Agents that will be ended (the winner first). */
  ending: string[];
  /** Agents of the batch kept because they have uncommitted work. */
  keeping: { branch: string; files: number }[];
}

export interface CreateRequest {
  /** The repository (a dashboard over --all may start agents in any of them). */
  repo: string;
  branch: string;
  prompt: string;
  agent?: string;
  base?: string;
  quick?: boolean;
}

export interface FanoutRequest {
  repo: string;
  count: number;
  prefix?: string;
  prompt: string;
  agent?: string;
  base?: string;
  quick?: boolean;
}

/** Progress of a create/fanout, as createAgent and createBatch report it. */
export type ProgressSink = (branch: string, state: string, detail?: string) => void;

/** The repository list for the create form, and the agent profiles each may use. */
export interface RepoChoice {
  root: string;
  name: string;
  profiles: string[];
  defaultAgent: string;
}

const MAX_DIFF_BYTES = 4 * 1024 * 1024;

/** A Ui that keeps what fleet says instead of printing it on the dashboard's terminal. */
function collectingUi(): Ui & Said {
  const notes: string[] = [];
  return {
    notes,
    out: (t) => void notes.push(t.trimEnd()),
    note: (t) => void notes.push(t.trimEnd()),
    warn: (t) => void notes.push(`warning: ${t}`),
    isTTY: false,
    color: false,
    liveProgress: false,
  };
}

export interface FleetOps {
  /** The scope: every repository (--all), or the one the dashboard was started in. */
  readonly all: boolean;
  readonly repo: RepoInfo | null;
  /**
   * One refresh, with ONE tmux call: every agent of the scope reconciled with tmux (as `fleet
   * list`), and in the same call the panes asked for in `captures` (session → lines of history,
   * or 'all'). With measure, also CPU and memory from one process-table read (as `fleet list`);
   * without, cpu/memory of live agents are null.
   */
  refresh(opts: { measure: boolean; captures: ReadonlyMap<string, HistoryWanted> }): Promise<Refreshed>;
  /** Files and lines changed since the agent's base (as `fleet list --changes`). */
  changes(session: string): Promise<ChangeStats | null>;
  /** Is this session one of the scope's agents? (A NotFound error when not.) */
  checkAgent(session: string): Promise<void>;
  /**
   * Send a follow-up, with the same checks as `fleet prompt` (refuses what it refuses: a
   * NotReadyError while the agent is starting or has a dialog open); `force` as its --force.
   */
  prompt(session: string, text: string, opts?: { force?: boolean }): Promise<Said>;
  /** Everything the agent changed, as `fleet diff`. */
  diff(session: string): Promise<DiffResult>;
  /** End an agent as `fleet kill` does (uncommitted work refused without force). */
  kill(session: string, req: KillRequest): Promise<Said & { unmergedCommits: number }>;
  /** Work out a pick without changing anything (as `fleet pick` before it asks). */
  planPick(session: string, req: PickRequestBody): Promise<PickPlanSummary>;
  /** Land the agent's work and end its batch, as `fleet pick --yes`. */
  pick(session: string, req: PickRequestBody, signal: AbortSignal): Promise<Said & { landed: string; ended: string[] }>;
  /** Start one agent, as `fleet create`. */
  create(req: CreateRequest, progress: ProgressSink, signal: AbortSignal): Promise<Said & { branch: string; session: string }>;
  /** Start a batch, as `fleet fanout`. */
  fanout(req: FanoutRequest, progress: ProgressSink): Promise<Said & { batchId: string; created: string[] }>;
  /** Repositories a new agent can be started in (with their agent profiles). */
  repos(): Promise<RepoChoice[]>;
}

/**
 * Build the adapter for a dashboard started in `base.cwd`. Without `all`, that must be inside a
 * repository (as for `fleet list`).
 */
export async function openFleetOps(opts: { all: boolean; base: BaseContext }): Promise<FleetOps> {
  const { base } = opts;
  const scope = await loadContext({}, base);
  if (!opts.all && !scope.repo) {
    throw new FleetError('not inside a git repository', { hint: 'cd into a repository, or fleet dashboard --all for the agents of every repository' });
  }
  // The dashboard keeps one in-memory CPU book: figures are averages since the previous look.
  const sampler = new UsageSampler(base.run, null);

  /** The agent with this session, within the scope; a FleetError (404) when there is none. */
  const recordOf = async (session: string): Promise<AgentRecord> => {
    const records = await scope.state.read();
    const r = records.find((x) => x.session === session && (opts.all || x.repo === scope.repo?.root));
    if (!r) throw new NotFound(`no agent with session "${session}"`, 'it may have been killed meanwhile; the list is up to date');
    return r;
  };

  /** A context for acting on a repository's agents, as if fleet were run inside it; what fleet says is kept. */
  const contextFor = async (repo: string): Promise<RepoContext & { said: Said }> => {
    const ui = collectingUi();
    const ctx = await loadContext({ needRepo: true }, { ...base, cwd: repo, ui });
    return { ...ctx, said: { notes: ui.notes } };
  };

  const knownRepo = async (root: string): Promise<string> => {
    if (!opts.all) {
      if (root !== scope.repo!.root) throw new UsageError(`this dashboard shows "${scope.repo!.root}" only`, 'start fleet dashboard --all to manage every repository');
      return root;
    }
    const roots = new Set((await scope.state.read()).map((r) => r.repo));
    if (scope.repo) roots.add(scope.repo.root);
    if (!roots.has(root)) throw new UsageError(`"${root}" is not a repository fleet knows`, 'run fleet create inside it once, or start the dashboard there');
    return root;
  };

  /** A batch's progress, told to the page (createBatch makes it once the agents are planned). */
  const progressTo = (sink: ProgressSink, said: Said): ProgressFactory => () => ({
    update: (branch, state, detail) => sink(branch, state, detail),
    note: (text) => void said.notes.push(text),
    stop: () => undefined,
  });

  return {
    all: opts.all,
    repo: scope.repo,

    async refresh({ measure, captures }) {
      // One tmux process for the whole refresh: the panes, and the screens someone is viewing.
      const { panes, screens } = await listPanesAndScreens(base.run, captures);
      // Between two measurements, the last one's figures and busy-on-CPU verdicts: the same
      // statuses as fleet list, without a process-table read every tick.
      const rows = await collectRows(scope, { all: opts.all, measure: measure ? true : 'last' }, { panes: Promise.resolve(panes), sampler });
      const got = new Map<string, PaneCapture | { error: string; hint?: string }>();
      for (const [session, capture] of screens) {
        const remote = rows.find((r) => r.session === session && r.host);
        if (remote) {
          // Its session is on the host, not on this machine's tmux server: never called gone.
          got.set(session, { error: `"${remote.branch}" runs on host "${remote.host}": its screen is not shown here`, hint: `fleet logs ${remote.branch} (or fleet attach ${remote.branch})` });
        } else {
          got.set(session, capture ?? { error: `the tmux session "${session}" is gone`, hint: 'fleet prune cleans up after an agent whose session ended' });
        }
      }
      return { rows: rows as AgentRow[], captures: got };
    },

    async changes(session) {
      const record = await recordOf(session);
      return changeStats(scope, record).catch(() => null);
    },

    async checkAgent(session) {
      await recordOf(session);
    },

    async prompt(session, text, popts = {}) {
      const record = await recordOf(session);
      const ctx = await contextFor(record.repo);
      await sendPrompt(ctx, record.branch, text, { enter: true, force: popts.force === true });
      return ctx.said;
    },

    async diff(session) {
      const record = await recordOf(session);
      const ctx = await contextFor(record.repo);
      const change = await agentChange(ctx, record);
      const text = await diffPatch(ctx.run, record.repo, change.base, change.target);
      const truncated = Buffer.byteLength(text) > MAX_DIFF_BYTES;
      return { text: truncated ? text.slice(0, MAX_DIFF_BYTES) : text, base: change.base, source: change.source, truncated };
    },

    async kill(session, req) {
      const record = await recordOf(session);
      const ctx = await contextFor(record.repo);
      const r = await killAgent(ctx, record, { force: req.force, deleteBranch: req.deleteBranch });
      return { notes: ctx.said.notes, unmergedCommits: r.unmergedCommits };
    },

    async planPick(session, req) {
      const record = await recordOf(session);
      const ctx = await contextFor(record.repo);
      const plan = await planPick(ctx, { branch: record.branch, into: req.into, strategy: req.strategy, message: req.message });
      return {
        winner: plan.winner.branch,
        into: plan.into,
        strategy: plan.strategy,
        winnerDirty: plan.winnerDirty.length,
        ending: [plan.winner.branch, ...plan.others.filter((o) => !plan.dirtyOthers.has(o.branch)).map((o) => o.branch)],
        keeping: [...plan.dirtyOthers].map(([branch, work]) => ({ branch, files: work.paths.length, unsaved: describeUnsaved(work) })),
      };
    },

    async pick(session, req, signal) {
      const record = await recordOf(session);
      const ctx = await contextFor(record.repo);
      const plan = await planPick(ctx, { branch: record.branch, into: req.into, strategy: req.strategy, message: req.message });
      const result = await executePick(ctx, plan, { signal });
      const notes = [...ctx.said.notes];
      for (const u of result.unmerged) notes.push(`branch "${u.branch}" has ${plural(u.commits, 'commit')} not in its base; it is kept`);
      for (const k of result.kept) notes.push(`${k.reason} (${k.hint})`);
      return { notes, landed: result.landed, ended: result.ended };
    },

    async create(req, progress, signal) {
      const ctx = await contextFor(await knownRepo(req.repo));
      const profile = resolveAgent(ctx, req.agent);
      const { plan, pre } = await prepareCreate(ctx, { branch: req.branch, prompt: req.prompt, profile, base: req.base ?? null, quick: Boolean(req.quick) });
      const record = await createAgent(ctx, plan, pre, {
        signal,
        onPhase: (phase, detail) => progress(plan.branch, phase, detail),
        onNote: (n) => ctx.said.notes.push(n),
      });
      return { notes: ctx.said.notes, branch: record.branch, session: record.session };
    },

    async fanout(req, progress) {
      const ctx = await contextFor(await knownRepo(req.repo));
      const args = fanoutArgs(String(req.count), req.prefix, { prompt: req.prompt, agent: req.agent });
      const profile = resolveAgent(ctx, req.agent);
      const batchId = args.prefix ?? (await newBatchId(ctx, 'fanout'));
      // createBatch handles Ctrl+C itself: it stops starting agents and rolls back the half-made ones.
      const result = await createBatch(
        ctx,
        {
          batchId,
          items: fanoutBranches(batchId, args.count).map((branch) => ({ branch, prompt: req.prompt, profile })),
          base: req.base ?? null,
          quick: Boolean(req.quick),
          conflictHint: `or pick another prefix than "${batchId}"`,
        },
        { progress: progressTo(progress, ctx.said) },
      );
      const { error, details } = batchOutcome(result);
      if (error) throw new FleetError([error.message, ...details].join('\n'), { hint: error.hint, exitCode: error.exitCode });
      return { notes: ctx.said.notes, batchId, created: result.created.map((r) => r.branch) };
    },

    async repos() {
      const roots = new Map<string, string>();
      if (scope.repo) roots.set(scope.repo.root, scope.repo.name);
      if (opts.all) for (const r of await scope.state.read()) if (!roots.has(r.repo) && fs.existsSync(r.repo)) roots.set(r.repo, r.repo.split('/').pop() ?? r.repo);
      const out: RepoChoice[] = [];
      for (const [root, name] of roots) {
        // Each repository's own .fleet.toml may add profiles or change the default agent.
        const { config } = await base.configs.load(root).catch(() => ({ config: scope.config }));
        out.push({ root, name, profiles: profileNames(config), defaultAgent: config.default_agent });
      }
      return out;
    },
  };
}

export { NotReadyError };

/** "No such agent/session": the server answers 404. */
export class NotFound extends FleetError {
  constructor(message: string, hint?: string) {
    super(message, { hint });
    this.name = 'NotFound';
  }
}
