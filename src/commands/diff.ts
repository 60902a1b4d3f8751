import { Command, Option } from 'commander';
import { FleetError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { findAgent } from '../ops/find.js';
import { differ, showDiff } from '../git/diff.js';

export interface DiffOptions {
  stat?: boolean;
  nameOnly?: boolean;
}

export function diffCommand(): Command {
  return new Command('diff')
    .description("show everything an agent changed since its base: commits, uncommitted edits and new files, as one diff")
    .argument('<branch>', "the agent's branch")
    .addOption(new Option('--stat', 'a diffstat instead of the patch').conflicts('nameOnly'))
    .addOption(new Option('--name-only', 'only the names of changed files').conflicts('stat'))
    .addHelpText('after', `
The worktree's index and files are left alone: its files are staged into a
temporary index. Files fleet copied in (credential_files), ignored by git or
not, and git-ignored files are not part of the diff. Paged like git diff on a
terminal (git's own pager and colour settings apply); plain when piped.

Examples:
  fleet diff fix-auth
  fleet diff fix-auth --stat
  fleet diff fix-auth --name-only | xargs wc -l`)
    .action(async (branch: string, opts: DiffOptions) => {
      const ctx = await loadContext({ needRepo: true });
      await runDiff(ctx, branch, opts);
    });
}

export async function runDiff(ctx: RepoContext, branch: string, opts: DiffOptions): Promise<void> {
  const record = await findAgent(ctx, branch);
  const { agentChange } = await import('../ops/changes.js');
  const change = await agentChange(ctx, record);
  if (change.source === 'branch') {
    ctx.ui.note(`note: the worktree of "${branch}" is gone; showing its branch (committed work only)`);
  }
  if (!(await differ(ctx.run, record.repo, change.base, change.target))) {
    ctx.ui.note(`no changes on "${branch}" since its base ${change.base.slice(0, 7)}`);
    return;
  }
  const code = await showDiff(record.repo, change.base, change.target, opts.stat ? 'stat' : opts.nameOnly ? 'name-only' : 'patch');
  // A reader that stops early (| head) ends git with SIGPIPE: not a failure.
  if (code !== 0 && code < 128) throw new FleetError(`git diff exited with status ${code}`);
}
