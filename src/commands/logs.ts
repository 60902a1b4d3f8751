import { Command } from 'commander';
import { FleetError, UsageError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { findAgent } from '../ops/find.js';
import { newLines } from '../core/follow.js';
import { withInterrupts } from '../process/interrupts.js';
import { sleep } from '../process/sleep.js';
import { capture, hasSession, listPanes } from '../tmux/sessions.js';

export interface LogsOptions {
  lines?: string;
  follow?: boolean;
}

export function logsCommand(): Command {
  return new Command('logs')
    .description("print the agent's screen and scrollback without attaching")
    .argument('<branch>', "the agent's branch")
    .option('-n, --lines <count>', 'how many lines from the end', '50')
    .option('-f, --follow', 'keep printing new output until the agent exits (Ctrl+C stops)')
    .addHelpText('after', `
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
  const record = await findAgent(ctx, branch);
  if (!(await hasSession(ctx.run, record.session))) {
    throw new FleetError(`the tmux session of "${branch}" is gone, and its screen with it`, {
      hint: `fleet prune cleans up after it`,
    });
  }
  let printed = (await capture(ctx.run, record.session)).slice(-n);
  if (printed.length > 0) ctx.ui.out(printed.join('\n'));
  if (!opts.follow) return;

  // Follow: poll the pane; print lines that appeared after the ones already printed. Ctrl+C
  // ends the wait at once, and one last look prints what came meanwhile. SIGTERM keeps its
  // default (the process ends).
  await withInterrupts(
    async (signal) => {
      while (!signal.aborted) {
        await sleep(500, signal);
        const pane = (await listPanes(ctx.run)).find((p) => p.session === record.session);
        if (!pane) break;
        const lines = await capture(ctx.run, record.session);
        const fresh = newLines(printed, lines);
        if (fresh.length > 0) ctx.ui.out(fresh.join('\n'));
        printed = lines;
        if (pane.dead) {
          ctx.ui.note(`[agent exited with status ${pane.deadStatus ?? '?'}]`);
          break;
        }
      }
    },
    { signals: ['SIGINT'], onSignal: () => undefined },
  );
}
