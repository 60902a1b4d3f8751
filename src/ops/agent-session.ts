import { FleetError, InterruptedError } from '../errors.js';
import { reconcile } from '../core/reconcile.js';
import type { Context, RepoContext } from '../context.js';
import { paneChange, type PaneSnapshot } from '../core/follow.js';
import type { PaneInfo } from '../core/parse.js';
import { agentFacts } from '../core/profiles.js';
import { sleep } from '../process/sleep.js';
import type { AgentRecord } from '../state/types.js';
import { listPanes, readPane, sendText, snapshotPane, type PaneText } from '../tmux/sessions.js';
import type { FollowView } from '../ui/follow-view.js';
import type { Runner } from '../process/runner.js';
import { findAgent } from './find.js';
import { sessionGoneHint } from './kill-agent.js';

/** What runs tmux where the agent is: this machine's runner, or its host's (one ssh call each). */
export async function agentRunner(ctx: Context, record: Pick<AgentRecord, 'host' | 'repo_name' | 'branch'>): Promise<Runner> {
  if (!record.host) return ctx.run;
  const { recordPlace } = await import('../remote/host-place.js');
  return recordPlace(ctx, record).run;
}

/** How often a followed screen is looked at again. */
const FOLLOW_INTERVAL_MS = 500;

/** The agent's pane, failing clearly when its session is gone or its program has exited. */
export async function livePane(ctx: Context, record: AgentRecord, action: string): Promise<PaneInfo> {
  const branch = record.branch;
  const panes = await listPanes(await agentRunner(ctx, record));
  const pane = panes.find((p) => p.session === record.session);
  if (!pane) {
    throw new FleetError(`the tmux session of "${branch}" is gone`, { hint: await sessionGoneHint(ctx, record) });
  }
  if (pane.dead) {
    throw new FleetError(`the agent on "${branch}" has exited (status ${pane.deadStatus ?? '?'}), so it cannot ${action}`, {
      hint: `fleet logs ${branch} shows its last screen`,
    });
  }
  return pane;
}

export interface SendOptions {
  /** Press Enter after the text (default). */
  enter?: boolean;
  /** Type even while the agent is starting or has a dialog open. */
  force?: boolean;
  /** Wait up to this many seconds for the agent to be able to take input, instead of refusing at once. */
  wait?: number;
  /** Ends a wait (Ctrl+C). */
  signal?: AbortSignal;
}

/** How often a waiting prompt looks at the agent again. */
const READY_POLL_MS = 500;

/**
 * Why text typed into the agent now would not reach it as a prompt: it is starting (a trust
 * or sign-in dialog may be up, and Enter would answer it) or waiting on a dialog. Null: go ahead.
 */
function notReady(ctx: Context, record: AgentRecord, pane: PaneInfo): { status: string; reason: string | null } | null {
  const [view] = reconcile([record], [pane], { now: Date.now(), idleSeconds: ctx.config.idle_seconds, pidAlive: () => true });
  return view && (view.status === 'starting' || view.status === 'waiting') ? { status: view.status, reason: view.reason ?? null } : null;
}

/** A prompt refused because the agent is starting or has a dialog open: `force` would type it anyway. */
export class NotReadyError extends FleetError {
  constructor(
    message: string,
    hint: string,
    /** "starting" or "waiting". */
    readonly status: string,
    readonly reason: string | null,
  ) {
    super(message, { hint });
    this.name = 'NotReadyError';
  }
}

function refusal(branch: string, why: { status: string; reason: string | null }, waited?: number): NotReadyError {
  const state = waited === undefined ? why.status : `still ${why.status} after ${waited} s`;
  const message =
    why.status === 'waiting'
      ? `"${branch}" is ${state} (${why.reason ?? 'a dialog is open'}): what you type would answer that dialog, so nothing was sent`
      : `"${branch}" is ${state}: it has not taken its first prompt, and what you type could answer a dialog (trust, sign-in), so nothing was sent`;
  const hint = `fleet attach ${branch} to ${why.status === 'waiting' ? 'answer it' : 'see it'}; --wait to send once it can take input, --force to type anyway`;
  return new NotReadyError(message, hint, why.status, why.reason);
}

/**
 * Type `text` into the agent on `branch`: a bracketed paste, then Enter (unless enter is false).
 * Refused (nothing typed) while the agent is starting or waiting on a dialog, unless `force`;
 * with `wait`, sent as soon as it can take input. The dashboard calls this too.
 */
export async function sendPrompt(ctx: RepoContext, branch: string, text: string, opts: SendOptions = {}): Promise<AgentRecord> {
  const record = await findAgent(ctx, branch);
  if (text.trim() === '') throw new FleetError('the prompt is empty', { hint: `fleet prompt ${branch} "what to do next"` });
  let pane = await livePane(ctx, record, 'take input');
  let blocked = opts.force ? null : notReady(ctx, record, pane);
  if (blocked && opts.wait !== undefined) {
    const deadline = Date.now() + opts.wait * 1000;
    while (blocked && Date.now() < deadline) {
      await sleep(Math.min(READY_POLL_MS, Math.max(0, deadline - Date.now())), opts.signal);
      if (opts.signal?.aborted) throw new InterruptedError(`interrupted: nothing was sent to "${branch}"`);
      pane = await livePane(ctx, record, 'take input');
      blocked = notReady(ctx, record, pane);
    }
    if (blocked) throw refusal(branch, blocked, opts.wait);
  }
  if (blocked) throw refusal(branch, blocked);
  await sendText(await agentRunner(ctx, record), record.session, text, { enter: opts.enter !== false, enterDelayMs: agentFacts(record.agent).enterDelayMs });
  return record;
}

/** The agent's screen and scrollback, and whether it has exited; fails clearly when its session is gone. */
export async function readScreen(ctx: RepoContext, branch: string): Promise<{ record: AgentRecord; pane: PaneText }> {
  const record = await findAgent(ctx, branch);
  const pane = await readPane(await agentRunner(ctx, record), record.session);
  if (!pane) {
    throw new FleetError(`the tmux session of "${branch}" is gone, and its screen with it`, { hint: await sessionGoneHint(ctx, record) });
  }
  return { record, pane };
}

/** History lines read per look at first; more after a look found more new ones. */
const HISTORY_WINDOW = 200;

/**
 * Look at the agent's pane every FOLLOW_INTERVAL_MS (one tmux call each) until `signal`
 * fires, its session goes or its program exits, and show each change through `view`
 * (`write` prints what the view builds). Starts with the last `lines` lines. Returns the last
 * look (null when the session went away), after the view's end.
 */
export async function followScreen(
  ctx: Context,
  record: AgentRecord,
  opts: { lines: number; signal: AbortSignal; view: FollowView; write: (text: string) => void },
): Promise<PaneSnapshot | null> {
  const { view, write, signal } = opts;
  const session = record.session;
  let window = Math.max(HISTORY_WINDOW, opts.lines);
  const run = await agentRunner(ctx, record);
  let last = await snapshotPane(run, session, window);
  if (!last) throw new FleetError(`the tmux session of "${record.branch}" is gone, and its screen with it`, { hint: await sessionGoneHint(ctx, record) });
  write(view.start(last, opts.lines));
  try {
    while (!last.dead && !signal.aborted) {
      await sleep(FOLLOW_INTERVAL_MS, signal);
      if (signal.aborted) break;
      const next = await snapshotPane(run, session, window);
      if (!next) return null;
      const change = paneChange(last, next);
      // Read twice the last burst next time (within history-limit), so a burst is not cut short.
      window = Math.min(Math.max(HISTORY_WINDOW, 2 * (change.scrolled.length + change.missed)), next.historyLimit, 50_000);
      write(view.update(change, next));
      last = next;
    }
    return last;
  } catch (e) {
    // A tmux call cut short by Ctrl+C (sent to the whole process group) ends the follow quietly.
    if (signal.aborted) return last;
    throw e;
  } finally {
    // The last screen in full (a pipe's pending redraw), the terminal's cursor back.
    write(view.end(last));
  }
}
