import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { followScreen, readScreen } from '../ops/agent-session.js';
import { withInterrupts } from '../process/interrupts.js';

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
  const { record, lines } = await readScreen(ctx, branch);
  const printed = lines.slice(-n);
  if (printed.length > 0) ctx.ui.out(printed.join('\n'));
  if (!opts.follow) return;
  // Ctrl+C ends the follow (exit 0); SIGTERM keeps its default (the process ends).
  await withInterrupts(
    (signal) =>
      followScreen(ctx, record.session, printed, signal, {
        lines: (fresh) => ctx.ui.out(fresh.join('\n')),
        exited: (status) => ctx.ui.note(`[agent exited with status ${status ?? '?'}]`),
      }),
    { signals: ['SIGINT'], onSignal: () => undefined },
  );
}
