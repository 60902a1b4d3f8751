import { Command } from 'commander';
import { FleetError, UsageError, toFleetError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { plural, tildify } from '../core/format.js';
import { matchAgents, recordsOfRepo, unknownAgent } from '../ops/find.js';
import { gatherViews } from '../ops/list.js';
import { reviveAgent } from '../ops/revive.js';
import type { AgentRecord } from '../state/types.js';

export interface ReviveOptions {
  all?: boolean;
  prompt?: string;
  json?: boolean;
}

export function reviveCommand(): Command {
  return new Command('revive')
    .description('start missing agents again in their worktrees, on the same conversation')
    .argument('[branches...]', "branch names or globs (quote globs: 'fix-*')")
    .option('--all', 'every missing agent of this repository')
    .option('-p, --prompt <text>', 'a first prompt for the resumed conversation')
    .option('--json', 'print the revived records as JSON')
    .addHelpText('after', `
After a reboot or a lost tmux server an agent shows "missing". revive starts it
again in its worktree and tmux session name on its conversation (claude --resume
ID, codex resume ID, gemini --resume ID, opencode --session ID; a profile's
resume = "... {conversation}"), with its statuses followed as before. When its
id was never learned, it resumes the last conversation of its worktree. A named
agent that exited is revived too (its pane is replaced). codex reports nothing
until its first prompt: without --prompt a revived codex shows "starting" until
you type into it (fleet attach, or fleet prompt --force).

Examples:
  fleet revive --all
  fleet revive fix-auth --prompt "Carry on where you left off"`)
    .action(async (branches: string[], opts: ReviveOptions) => {
      const ctx = await loadContext({ needRepo: true, json: opts.json });
      await runRevive(ctx, branches, opts);
    });
}

export async function runRevive(ctx: RepoContext, branches: string[], opts: ReviveOptions): Promise<AgentRecord[]> {
  if (branches.length === 0 && !opts.all) throw new UsageError('name the agents to revive, or --all for every missing one', 'e.g. fleet revive fix-auth, or fleet revive --all');
  if (opts.prompt !== undefined && opts.prompt.trim() === '') throw new UsageError('the prompt is empty', 'drop --prompt, or say what to do');
  const views = await gatherViews(ctx, false);
  const mine = recordsOfRepo(views.map((v) => v.record), ctx.repo);
  let chosen = views;
  if (branches.length > 0) {
    const { matched, unmatched } = matchAgents(mine, branches);
    if (unmatched.length > 0) throw unknownAgent(unmatched[0]!, mine);
    const set = new Set(matched);
    chosen = views.filter((v) => set.has(v.record));
  } else {
    chosen = views.filter((v) => v.status === 'missing');
    if (chosen.length === 0) {
      ctx.ui.note('no missing agents in this repository');
      return [];
    }
  }
  const revived: AgentRecord[] = [];
  const failed: { branch: string; error: FleetError }[] = [];
  for (const v of chosen) {
    try {
      const r = await reviveAgent(ctx, v, { prompt: opts.prompt ?? null, onNote: (n) => ctx.ui.note(`${v.record.branch}: ${n}`) });
      revived.push(r);
      if (!opts.json) {
        const on = r.conversation_id ? `conversation ${r.conversation_id}` : 'its last conversation in that directory';
        ctx.ui.out(`revived ${r.branch} (${r.agent}, ${on}) in ${r.host ? `${r.host}:${r.worktree}` : tildify(r.worktree, ctx.env.HOME)}`);
      }
    } catch (e) {
      const error = toFleetError(e);
      failed.push({ branch: v.record.branch, error });
      ctx.ui.warn(`${error.message}${error.hint ? ` (${error.hint})` : ''}`);
    }
  }
  if (opts.json) ctx.ui.out(JSON.stringify(revived, null, 2));
  if (failed.length > 0) {
    throw new FleetError(`${plural(failed.length, 'agent')} not revived: ${failed.map((f) => f.branch).join(', ')}`, {
      hint: revived.length > 0 ? `${plural(revived.length, 'agent')} revived; fleet list shows them` : undefined,
    });
  }
  return revived;
}
