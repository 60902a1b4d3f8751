import { listSome, plural } from './format.js';

/** What a worktree holds that removing it would lose (git/status.ts unsavedWork, as paths and ids). */
export interface UnsavedSummary {
  /** Changed, staged and untracked paths. */
  paths: readonly string[];
  /** Commits only a detached HEAD holds, newest first. */
  commits: readonly string[];
}

/** 'uncommitted changes (a.txt, b.txt)', '1 commit no branch contains (abc1234)', or both. */
export function describeUnsaved(w: UnsavedSummary): string {
  const parts: string[] = [];
  if (w.paths.length > 0) parts.push(`uncommitted changes (${listSome(w.paths)})`);
  if (w.commits.length > 0) {
    parts.push(`${plural(w.commits.length, 'commit')} no branch contains (${listSome(w.commits.map((c) => c.slice(0, 7)))})`);
  }
  return parts.join(' and ');
}

/**
 * How to keep the work (or end the agent anyway): save detached commits on a branch, commit
 * changes; `discard` is the command that throws the changes away (null: none to offer).
 */
export function saveUnsavedHint(w: UnsavedSummary, worktree: string, discard: string | null): string {
  const save: string[] = [];
  if (w.commits.length > 0) {
    const them = w.commits.length === 1 ? 'it' : 'them';
    save.push(`save the ${w.commits.length === 1 ? 'commit' : 'commits'} on a branch (git -C ${worktree} switch -c <name>, or git branch <name> ${w.commits[0]!.slice(0, 7)})`);
    if (w.paths.length > 0) save.push('commit the changes');
    const rescue = discard ? `, or ${discard} to ${w.paths.length > 0 ? 'discard the changes' : 'end it anyway'} (fleet then keeps the ${them === 'it' ? 'commit' : 'commits'} under refs/fleet/rescued/)` : '';
    return `${save.join(' and ')}${rescue}`;
  }
  return `commit them in the worktree${discard ? `, or ${discard} to discard them` : ''}`;
}
