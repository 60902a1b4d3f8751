import { FleetError, InterruptedError } from '../errors.js';
import { reconcile } from '../core/reconcile.js';
import type { Context, RepoContext } from '../context.js';
import { newLines } from '../core/follow.js';
import type { PaneInfo } from '../core/parse.js';
import { agentFacts } from '../core/profiles.js';
import { sleep } from '../process/sleep.js';
import type { AgentRecord } from '../state/types.js';
import { capture, hasSession, listPanes, sendText } from '../tmux/sessions.js';
import { findAgent } from './find.js';
import { sessionGoneHint } from './kill-agent.js';

/** How often a followed screen is looked at again. */
const FOLLOW_INTERVAL_MS = 500;

/** The agent's pane, failing clearly when its session is gone or its program has exited. */
export async function livePane(ctx: Context, record: AgentRecord, action: string): Promise<PaneInfo> {
  const branch = record.branch;
  const panes = await listPanes(ctx.run);
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

function refusal(branch: string, why: { status: string; reason: string | null }, waited?: number): FleetError {
  const state = waited === undefined ? why.status : `still ${why.status} after ${waited} s`;
  const message =
    why.status === 'waiting'
      ? `"${branch}" is ${state} (${why.reason ?? 'a dialog is open'}): what you type would answer that dialog, so nothing was sent`
      : `"${branch}" is ${state}: it has not taken its first prompt, and what you type could answer a dialog (trust, sign-in), so nothing was sent`;
  return new FleetError(message, {
    hint: `fleet attach ${branch} to ${why.status === 'waiting' ? 'answer it' : 'see it'}; --wait to send once it can take input, --force to type anyway`,
  });
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
  await sendText(ctx.run, record.session, text, { enter: opts.enter !== false, enterDelayMs: agentFacts(record.agent).enterDelayMs });
  return record;
}

/** The agent's screen and scrollback as lines (trailing blank lines dropped), failing clearly when its session is gone. */
export async function readScreen(ctx: RepoContext, branch: string): Promise<{ record: AgentRecord; lines: string[] }> {
  const record = await findAgent(ctx, branch);
  if (!(await hasSession(ctx.run, record.session))) {
    throw new FleetError(`the tmux session of "${branch}" is gone, and its screen with it`, { hint: await sessionGoneHint(ctx, record) });
  }
  return { record, lines: await capture(ctx.run, record.session) };
}

export interface FollowReport {
  /** Lines that appeared after the ones already shown. */
  lines(fresh: string[]): void;
  /** The agent's program ended with this status. */
  exited(status: number | null): void;
}

/**
 * Look at the agent's pane again and again until `signal` fires, its session goes or its
 * program exits, reporting the lines that appeared after `shown` (what was already shown of
 * the screen). When the signal fires the wait ends at once and one last look is taken.
 */
export async function followScreen(ctx: Context, session: string, shown: readonly string[], signal: AbortSignal, report: FollowReport): Promise<void> {
  let printed = shown;
  while (!signal.aborted) {
    await sleep(FOLLOW_INTERVAL_MS, signal);
    const pane = (await listPanes(ctx.run)).find((p) => p.session === session);
    if (!pane) return;
    const lines = await capture(ctx.run, session);
    const fresh = newLines(printed, lines);
    if (fresh.length > 0) report.lines(fresh);
    printed = lines;
    if (pane.dead) {
      report.exited(pane.deadStatus);
      return;
    }
  }
}
