import { Command } from 'commander';
import { loadContext, type RepoContext } from '../context.js';
import { nextForUser } from '../core/agent-state.js';
import { plural } from '../core/format.js';
import { gatherViews, toListed } from '../ops/list.js';
import { runAttach } from '../ops/attach.js';
import { describe } from '../ops/wait.js';

export function nextCommand(): Command {
  return new Command('next')
    .description('attach to the agent that has waited for you longest (then the ones that are done)')
    .option('--print', 'print its branch instead of attaching')
    .addHelpText('after', `
Order: agents waiting on a permission or question dialog (or starting so long
that a dialog may be open), longest first; then agents done with their turn,
longest first; then agents without hooks that have been quiet longest. Says so
when nobody is waiting.

Examples:
  fleet next
  fleet logs "$(fleet next --print)"`)
    .action(async (opts: { print?: boolean }) => {
      const ctx = await loadContext({ needRepo: true });
      await runNext(ctx, opts);
    });
}

export async function runNext(ctx: RepoContext, opts: { print?: boolean }): Promise<string | null> {
  const views = await gatherViews(ctx, false);
  const next = nextForUser(views);
  if (!next) {
    const counts = new Map<string, number>();
    for (const v of views) counts.set(v.status, (counts.get(v.status) ?? 0) + 1);
    const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
    ctx.ui.note(views.length === 0 ? 'no agents in this repository' : `nobody is waiting for you (${plural(views.length, 'agent')}: ${summary})`);
    return null;
  }
  if (opts.print) {
    ctx.ui.out(next.record.branch);
    return next.record.branch;
  }
  ctx.ui.note(`next: ${describe(toListed(next))}`);
  await runAttach(ctx, next.record.branch);
  return next.record.branch;
}
