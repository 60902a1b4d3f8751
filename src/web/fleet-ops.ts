/**
 * The dashboard's one door into fleet's operations. Everything the web server does to agents
 * (list, measure, read a screen, prompt, diff, kill, pick, create, fanout) goes through the
 * functions of `FleetOps` below, and only this file imports fleet's commands and ops. When those
 * move (commands/* → ops/*), this is the one file to re-point; nothing else in src/web/ changes.
 *
 * Rows are passed through as fleet makes them: fields that later versions add to a list row
 * (state_reason, state_since, usage, …) reach the page without changes here.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { FleetError, UsageError } from '../errors.js';
import { loadContext, type Context } from '../context.js';
import { ConfigManager } from '../config/config-manager.js';
import type { RepoInfo } from '../git/worktree-manager.js';
import type { AgentRecord } from '../state/types.js';
import type { Ui } from '../ui/output.js';
import type { ChangeStats, PickStrategy } from '../core/changes.js';
import { collectRows, gatherViews, toListed, type ListedAgent } from '../commands/list.js';
import { runPrompt } from '../commands/prompt.js';
import { resolveAgent } from '../commands/create.js';
import { fanoutArgs } from '../commands/fanout.js';
import { UsageSampler } from '../ops/metrics.js';
import { planCreate } from '../core/create-plan.js';
import { createAgent, preflight, type CreatePhase } from '../ops/create-agent.js';
import { batchOutcome, planBatch, preflightBatch, runBatch, type BatchRequest } from '../ops/batch.js';
import { killAgent } from '../ops/kill-agent.js';
import { agentChange, changeStats } from '../ops/changes.js';
import { planPick, executePick } from '../ops/pick.js';
import { fanoutBranches, generateBatchId } from '../core/batch.js';
import { agentRepoName } from '../core/names.js';
import { paneTarget } from '../tmux/tmux-manager.js';
import { PANE_FORMAT, parsePanes, type PaneInfo } from '../core/parse.js';
import type { BatchProgress } from '../ui/progress.js';

/** One agent as the page shows it: a list row (whatever fields fleet's list gives) keyed by its session. */
export type AgentRow = ListedAgent & Record<string, unknown>;

/** What an action tells the user besides its result (fleet's notes and warnings). */
export interface Said {
  notes: string[];
}

/** One look at a pane: its size and cursor, the last `history` lines that scrolled off, and the screen. */
export interface PaneCapture {
  cols: number;
  rows: number;
  historySize: number;
  historyLimit: number;
  cursorX: number;
  cursorY: number;
  cursorVisible: boolean;
  alternate: boolean;
  /** Lines of history (oldest first), with SGR escapes: at most as many as asked for. */
  history: string[];
  /** The visible screen, exactly `rows` lines, with SGR escapes. */
  screen: string[];
}

export interface Refreshed {
  rows: AgentRow[];
  /** The panes asked for: a capture, or why there is none (the session is gone). */
  captures: Map<string, PaneCapture | { error: string; hint?: string }>;
}

/** What a capture reads about the pane before its lines (one display-message). */
const CAPTURE_FORMAT = '#{history_size} #{history_limit} #{pane_width} #{pane_height} #{cursor_x} #{cursor_y} #{cursor_flag} #{alternate_on}';

/** tmux arguments that print a pane's facts, then its screen and the last `history` lines of scrollback. */
function captureArgs(session: string, history: number | 'all'): string[] {
  const start = history === 'all' ? '-' : String(-Math.max(0, history));
  return ['display-message', '-p', '-t', paneTarget(session), CAPTURE_FORMAT, ';', 'capture-pane', '-p', '-e', '-t', paneTarget(session), '-S', start];
}

/** The output of captureArgs → a PaneCapture. Pure. */
export function parseCapture(out: string): PaneCapture {
  const lines = out.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const [hs, hl, cols, rows, cx, cy, cflag, alt] = (lines.shift() ?? '').split(' ').map(Number);
  const height = rows ?? 0;
  const screen = lines.slice(Math.max(0, lines.length - height));
  while (screen.length < height) screen.push('');
  return {
    cols: cols ?? 80,
    rows: height,
    historySize: hs ?? 0,
    historyLimit: hl ?? 0,
    cursorX: cx ?? 0,
    cursorY: cy ?? 0,
    cursorVisible: cflag === 1,
    alternate: alt === 1,
    history: lines.slice(0, Math.max(0, lines.length - height)),
    screen,
  };
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

/** Progress of a create/fanout, as createAgent and runBatch report it. */
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
  refresh(opts: { measure: boolean; captures: ReadonlyMap<string, number | 'all'> }): Promise<Refreshed>;
  /** Files and lines changed since the agent's base (as `fleet list --changes`). */
  changes(session: string): Promise<ChangeStats | null>;
  /** Is this session one of the scope's agents? (A NotFound error when not.) */
  checkAgent(session: string): Promise<void>;
  /** Send a follow-up, with the same checks as `fleet prompt` (refuses what it refuses). */
  prompt(session: string, text: string): Promise<Said>;
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
 * Build the adapter for a dashboard started in `cwd`. Without `all`, `cwd` must be inside a
 * repository (as for `fleet list`).
 */
export async function openFleetOps(opts: { all: boolean; cwd?: string }): Promise<FleetOps> {
  const base = await loadContext({ needRepo: !opts.all, cwd: opts.cwd }).catch((e: unknown) => {
    if (e instanceof FleetError && /not inside a git repository/.test(e.message)) {
      throw new FleetError(e.message, { hint: 'cd into a repository, or fleet dashboard --all for the agents of every repository' });
    }
    throw e;
  });
  // The dashboard keeps one in-memory CPU book: figures are averages since the previous look.
  const sampler = new UsageSampler(base.run, null);

  /** The agent with this session, within the scope; a FleetError (404) when there is none. */
  const recordOf = async (session: string): Promise<AgentRecord> => {
    const records = await base.state.read();
    const r = records.find((x) => x.session === session && (opts.all || x.repo === base.repo?.root));
    if (!r) throw new NotFound(`no agent with session "${session}"`, 'it may have been killed meanwhile; the list is up to date');
    return r;
  };

  /** A context for acting on a repository's agents, as if fleet were run inside it. */
  const contextFor = async (repo: string): Promise<Context & { repo: RepoInfo } & { said: Said }> => {
    const ctx = await loadContext({ needRepo: true, cwd: repo });
    const ui = collectingUi();
    return { ...ctx, ui, said: ui };
  };

  const knownRepo = async (root: string): Promise<string> => {
    if (!opts.all) {
      if (root !== base.repo!.root) throw new UsageError(`this dashboard shows "${base.repo!.root}" only`, 'start fleet dashboard --all to manage every repository');
      return root;
    }
    const roots = new Set((await base.state.read()).map((r) => r.repo));
    if (base.repo) roots.add(base.repo.root);
    if (!roots.has(root)) throw new UsageError(`"${root}" is not a repository fleet knows`, 'run fleet create inside it once, or start the dashboard there');
    return root;
  };

  return {
    all: opts.all,
    repo: base.repo,

    async refresh({ measure, captures }) {
      const wanted = [...captures];
      // One tmux process for the whole refresh: the panes, then each viewed pane's screen, the
      // parts told apart by a marker no agent can know (it is new on every call).
      const marker = `fleet-dashboard-${crypto.randomBytes(12).toString('hex')}`;
      const args = ['list-panes', '-a', '-F', PANE_FORMAT];
      for (const [session, history] of wanted) args.push(';', 'display-message', '-p', marker, ';', ...captureArgs(session, history));
      const r = await base.run('tmux', args, { reject: false, keepTrailingNewline: true });
      const got = new Map<string, PaneCapture | { error: string; hint?: string }>();
      let panes: PaneInfo[];
      if (r.exitCode === 0) {
        const parts = r.stdout.split(`${marker}\n`);
        panes = parsePanes(parts[0] ?? '');
        wanted.forEach(([session], i) => got.set(session, parseCapture(parts[i + 1] ?? '')));
      } else {
        // No server, or a viewed session ended meanwhile (tmux stops at the first failing
        // command): the panes on their own, then each viewed pane that is still there.
        panes = await base.tmux.listPanes();
        for (const [session, history] of wanted) {
          const c = panes.some((p) => p.session === session) ? await base.run('tmux', captureArgs(session, history), { reject: false, keepTrailingNewline: true }) : null;
          got.set(session, c && c.exitCode === 0 ? parseCapture(c.stdout) : { error: `the tmux session "${session}" is gone`, hint: 'fleet prune cleans up after an agent whose session ended' });
        }
      }
      // A dead pane without its exit status is tmux missing a SIGCHLD (tmux#311): listPanes knows how to ask again.
      if (panes.some((p) => p.dead && p.deadStatus === null && p.deadSignal === null)) panes = await base.tmux.listPanes();
      const early = Promise.resolve(panes);
      const rows = measure
        ? await collectRows(base, { all: opts.all }, sampler, early)
        : (await gatherViews(base, opts.all, { panes: early })).map((v) => toListed(v));
      return { rows: rows as AgentRow[], captures: got };
    },

    async changes(session) {
      const record = await recordOf(session);
      return changeStats(base, record).catch(() => null);
    },

    async checkAgent(session) {
      await recordOf(session);
    },

    async prompt(session, text) {
      const record = await recordOf(session);
      const ctx = await contextFor(record.repo);
      await runPrompt(ctx, record.branch, text, { enter: true });
      return ctx.said;
    },

    async diff(session) {
      const record = await recordOf(session);
      const ctx = await contextFor(record.repo);
      const change = await agentChange(ctx, record);
      // As fleet diff, minus the pager; no external diff drivers or textconv from anyone's config.
      const r = await ctx.run('git', ['diff', '--no-color', '--no-ext-diff', '--no-textconv', change.base, change.target, '--'], { cwd: record.repo, keepTrailingNewline: true });
      const truncated = Buffer.byteLength(r.stdout) > MAX_DIFF_BYTES;
      return { text: truncated ? r.stdout.slice(0, MAX_DIFF_BYTES) : r.stdout, base: change.base, source: change.source, truncated };
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
        keeping: [...plan.dirtyOthers].map(([branch, paths]) => ({ branch, files: paths.length })),
      };
    },

    async pick(session, req, signal) {
      const record = await recordOf(session);
      const ctx = await contextFor(record.repo);
      const plan = await planPick(ctx, { branch: record.branch, into: req.into, strategy: req.strategy, message: req.message });
      const result = await executePick(ctx, plan, { signal });
      const notes = [...ctx.said.notes];
      for (const u of result.unmerged) notes.push(`branch "${u.branch}" has ${u.commits} commit(s) not in its base; it is kept`);
      for (const k of result.kept) notes.push(`${k.reason} (${k.hint})`);
      return { notes, landed: result.landed, ended: result.ended };
    },

    async create(req, progress, signal) {
      const repo = await knownRepo(req.repo);
      const ctx = await contextFor(repo);
      const profile = resolveAgent(ctx, req.agent);
      const records = await ctx.state.read();
      const plan = planCreate({
        repo: ctx.repo.root,
        repoName: agentRepoName(ctx.repo.root, ctx.repo.name, records),
        branch: req.branch,
        prompt: req.prompt,
        profile,
        config: ctx.config,
        base: req.base ?? null,
        quick: req.quick,
      });
      const pre = (await preflight(ctx, [plan], records)).get(plan.branch)!;
      const record = await createAgent(ctx, plan, pre, {
        signal,
        onPhase: (phase: CreatePhase, detail?: string) => progress(plan.branch, phase, detail),
        onNote: (n) => ctx.said.notes.push(n),
      });
      return { notes: ctx.said.notes, branch: record.branch, session: record.session };
    },

    async fanout(req, progress) {
      const repo = await knownRepo(req.repo);
      const ctx = await contextFor(repo);
      const args = fanoutArgs(String(req.count), req.prefix, { prompt: req.prompt, agent: req.agent });
      const name = req.agent ?? ctx.config.default_agent;
      const profile = resolveAgent(ctx, name);
      const records = await ctx.state.read();
      let batchId = args.prefix;
      if (batchId === null) {
        batchId = generateBatchId('fanout', new Set(records.map((r) => r.batch_id).filter((b): b is string => b !== null)));
      }
      const request: BatchRequest = {
        batchId,
        repoName: agentRepoName(ctx.repo.root, ctx.repo.name, records),
        items: fanoutBranches(batchId, args.count).map((branch) => ({ branch, prompt: args.prompt, profile })),
        base: req.base ?? null,
        quick: Boolean(req.quick),
      };
      const plans = planBatch(ctx, request);
      const pre = await preflightBatch(ctx, plans);
      const sink: BatchProgress = { update: (b, s, d) => progress(b, s, d), note: (t) => void ctx.said.notes.push(t), stop: () => undefined };
      // runBatch handles Ctrl+C itself: it stops starting agents and rolls back the half-made ones.
      const result = await runBatch(ctx, plans, pre, { maxParallel: ctx.config.max_parallel, progress: sink, batchId });
      const { error, details } = batchOutcome(result);
      if (error) throw new FleetError([error.message, ...details].join('\n'), { hint: error.hint, exitCode: error.exitCode });
      return { notes: ctx.said.notes, batchId, created: result.created.map((r) => r.branch) };
    },

    async repos() {
      const roots = new Map<string, string>();
      if (base.repo) roots.set(base.repo.root, base.repo.name);
      if (opts.all) for (const r of await base.state.read()) if (!roots.has(r.repo) && fs.existsSync(r.repo)) roots.set(r.repo, r.repo.split('/').pop() ?? r.repo);
      const out: RepoChoice[] = [];
      for (const [root, name] of roots) {
        // Each repository's own .fleet.toml may add profiles or change the default agent.
        const { config } = await base.configs.load(root).catch(() => ({ config: base.config }));
        out.push({ root, name, profiles: ConfigManager.profileNames(config), defaultAgent: config.default_agent });
      }
      return out;
    },
  };
}

/** "No such agent/session": the server answers 404. */
export class NotFound extends FleetError {
  constructor(message: string, hint?: string) {
    super(message, { hint });
    this.name = 'NotFound';
  }
}
