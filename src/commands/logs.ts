import { Command } from 'commander';
import { StoppedError, UsageError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { describeExit } from '../core/follow.js';
import { followScreen, readScreen } from '../ops/agent-session.js';
import { findAgent } from '../ops/find.js';
import { withInterrupts } from '../process/interrupts.js';
import { PipeFollowView, TerminalFollowView, type FollowView } from '../ui/follow-view.js';
import { stdoutClosed } from '../ui/output.js';

export interface LogsOptions {
  lines?: string;
  follow?: boolean;
}

export function logsCommand(): Command {
  return new Command('logs')
    .description("print the agent's screen and scrollback without attaching")
    .argument('<branch>', "the agent's branch")
    .option('-n, --lines <count>', 'how many lines from the end', '50')
    .option('-f, --follow', 'keep showing the screen as it changes, until the agent exits (Ctrl+C stops)')
    .addHelpText('after', `
With --follow on a terminal, the agent's screen is redrawn in place below the
lines that scrolled off it, as if attached (read-only). Piped, new lines are
printed as they come; when rows already printed change (a full-screen agent
redraws, a status line ticks), a "--- screen redrawn ---" line and the screen
from the first changed row are printed, at most every 2 s. An agent that has
exited is noted on stderr with its exit code; stdout holds only the screen.
Ctrl+C (or SIGTERM) ends --follow with exit status 130.

Examples:
  fleet logs fix-auth
  fleet logs fix-auth -n 200
  fleet logs fix-auth --follow`)
    .action(async (branch: string, opts: LogsOptions) => {
      const ctx = await loadContext({ needRepo: true });
      await runLogs(ctx, branch, opts);
    });
}

export function parseLineCount(s: string | undefined): number {
  const n = Number(s ?? '50');
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`-n wants a whole number of lines, at least 1 (got "${s}")`, 'e.g. fleet logs fix-auth -n 100');
  return n;
}

export async function runLogs(ctx: RepoContext, branch: string, opts: LogsOptions): Promise<void> {
  const n = parseLineCount(opts.lines);
  if (opts.follow) return followLogs(ctx, branch, n);
  const { pane } = await readScreen(ctx, branch);
  const printed = pane.lines.slice(-n);
  if (printed.length > 0) ctx.ui.out(printed.join('\n'));
  if (pane.dead) ctx.ui.note(`[the agent on "${branch}" ${describeExit(pane.exitStatus, pane.exitSignal)}]`);
}

/** Follow until the agent exits (exit 0) or Ctrl+C / SIGTERM (exit 130, like create and fanout). */
async function followLogs(ctx: RepoContext, branch: string, n: number): Promise<void> {
  const record = await findAgent(ctx, branch);
  // A terminal that can move its cursor gets the screen redrawn in place; anything else, text.
  const view: FollowView = ctx.ui.isTTY && ctx.env.TERM !== 'dumb'
    ? new TerminalFollowView(() => ({ rows: process.stdout.rows || 24, columns: process.stdout.columns || 80 }))
    : new PipeFollowView();
  // Output closed (`| head`): the follow is over, as for tail -f.
  const closed = stdoutClosed();
  const write = (text: string) => {
    if (text !== '' && !closed.signal.aborted) process.stdout.write(text);
  };
  let stopped = false;
  const last = await withInterrupts(
    (signal) => {
      signal.addEventListener('abort', () => (stopped = true), { once: true });
      return followScreen(ctx, record, { lines: n, signal: AbortSignal.any([signal, closed.signal]), view, write });
    },
    { onSignal: () => undefined },
  ).finally(() => closed.dispose());
  if (stopped) throw new StoppedError();
  if (closed.signal.aborted) return;
  if (!last) ctx.ui.note(`[the tmux session of "${branch}" is gone]`);
  else if (last.dead) ctx.ui.note(`[the agent on "${branch}" ${describeExit(last.exitStatus, last.exitSignal)}]`);
}
