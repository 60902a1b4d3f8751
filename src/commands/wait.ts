import { Command } from 'commander';
import { FleetError, UsageError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { listSome, plural } from '../core/format.js';
import type { ListedAgent } from '../ops/list.js';
import { describe, rowSettled, selectAgents, waitForAgents } from '../ops/wait.js';
import { withInterrupts } from '../process/interrupts.js';

export interface WaitOptions {
  batch?: string;
  timeout?: string;
  json?: boolean;
}

export function waitCommand(): Command {
  return new Command('wait')
    .description('block until agents need you or are done (waiting, done, exited or missing)')
    .argument('[branches...]', "branch names or globs (default: every agent of this repository)")
    .option('--batch <id>', 'the agents of this batch')
    .option('-t, --timeout <seconds>', 'give up after this long: exit 1, naming the agents still at work')
    .option('--json', 'print the agents as fleet list --json does, once they have settled')
    .addHelpText('after', `
An agent has settled when it is waiting (a permission or question dialog, or
starting for so long that a dialog may be open), done, exited or missing; an
agent without hooks (shell, aider, your own) once it has been quiet for
idle_seconds. Exit status: 0 when all have settled, 1 on timeout, 130 on Ctrl+C.

Examples:
  fleet wait
  fleet wait fix-auth --timeout 600
  fleet fanout 3 speed -p "Make the tests faster" && fleet wait --batch speed`)
    .action(async (branches: string[], opts: WaitOptions) => {
      const ctx = await loadContext({ needRepo: true, json: opts.json });
      await runWait(ctx, branches, opts);
    });
}

export async function runWait(ctx: RepoContext, branches: string[], opts: WaitOptions): Promise<ListedAgent[]> {
  const timeoutS = opts.timeout === undefined ? undefined : Number(opts.timeout);
  if (timeoutS !== undefined && (!Number.isFinite(timeoutS) || timeoutS < 0 || opts.timeout!.trim() === '')) {
    throw new UsageError(`--timeout takes a number of seconds, not "${opts.timeout}"`, 'e.g. --timeout 600');
  }
  const agents = await selectAgents(ctx, branches, opts.batch);
  const { rows, timedOut } = await withInterrupts((signal) => waitForAgents(ctx, agents, { timeoutS, signal }));
  if (opts.json) ctx.ui.out(JSON.stringify(rows, null, 2));
  else for (const r of rows) ctx.ui.out(describe(r));
  if (timedOut) {
    const busy = rows.filter((r) => !rowSettled(r)).map((r) => r.branch);
    throw new FleetError(`${plural(busy.length, 'agent')} still at work after ${timeoutS} s: ${listSome(busy, 5)}`, {
      hint: 'fleet list shows what each is doing; wait again with a longer --timeout',
    });
  }
  return rows;
}

