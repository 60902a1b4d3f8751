import { FleetError } from '../errors.js';
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

/** Type `text` into the agent on `branch`: a bracketed paste, then Enter (unless enter is false). */
export async function sendPrompt(ctx: RepoContext, branch: string, text: string, opts: { enter?: boolean } = {}): Promise<AgentRecord> {
  const record = await findAgent(ctx, branch);
  if (text.trim() === '') throw new FleetError('the prompt is empty', { hint: `fleet prompt ${branch} "what to do next"` });
  await livePane(ctx, record, 'take input');
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
