/** Pure helpers for an agent's change since its base: numstat parsing, summaries, commit messages. */

export interface NumstatEntry {
  path: string;
  /** The old path of a rename or copy. */
  from: string | null;
  /** Lines added and removed; null for a binary file (git prints "-"). */
  added: number | null;
  removed: number | null;
}

/** What `list` shows: files touched, lines added and removed against the base. */
export interface ChangeStats {
  files: number;
  added: number;
  removed: number;
}

/**
 * Parse `git diff --numstat -z`. Each file is "added\tremoved\tpath\0"; a rename or copy leaves
 * the path empty and follows with "old\0new\0". Binary files have "-" for both counts.
 */
export function parseNumstatZ(out: string): NumstatEntry[] {
  const parts = out.split('\0');
  const entries: NumstatEntry[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === '' || p === '\n') continue;
    const m = /^\n?(-|\d+)\t(-|\d+)\t(.*)$/s.exec(p);
    if (!m) continue;
    const added = m[1] === '-' ? null : Number(m[1]);
    const removed = m[2] === '-' ? null : Number(m[2]);
    if (m[3] === '') {
      const from = parts[i + 1] ?? '';
      const to = parts[i + 2] ?? '';
      i += 2;
      entries.push({ path: to, from, added, removed });
    } else {
      entries.push({ path: m[3]!, from: null, added, removed });
    }
  }
  return entries;
}

export function sumNumstat(entries: readonly NumstatEntry[]): ChangeStats {
  let added = 0;
  let removed = 0;
  for (const e of entries) {
    added += e.added ?? 0;
    removed += e.removed ?? 0;
  }
  return { files: entries.length, added, removed };
}

/** "3 files +40/-12", "1 file +2/-0", "none"; "?" when it could not be computed. */
export function formatChanges(c: ChangeStats | null | undefined): string {
  if (!c) return '?';
  if (c.files === 0) return 'none';
  return `${c.files} ${c.files === 1 ? 'file' : 'files'} +${c.added}/-${c.removed}`;
}

/** `git status --porcelain` codes → how the commit message describes the file. */
function describeStatus(code: string): string {
  if (code === '??') return 'untracked';
  const c = code.trim()[0] ?? code[0];
  switch (c) {
    case 'A':
      return 'added';
    case 'D':
      return 'deleted';
    case 'R':
      return 'renamed';
    case 'C':
      return 'copied';
    case 'U':
      return 'unmerged';
    case 'T':
      return 'type changed';
    default:
      return 'modified';
  }
}

const LISTED = 50;

/**
 * Message of the commit `pick` makes of an agent's uncommitted work. It says that fleet made it
 * and that untracked files are in it, and lists the files.
 */
export function wipCommitMessage(branch: string, entries: readonly { code: string; path: string }[]): string {
  const untracked = entries.filter((e) => e.code === '??').length;
  const tracked = entries.length - untracked;
  const parts: string[] = [];
  if (tracked > 0) parts.push(`${tracked} changed`);
  if (untracked > 0) parts.push(`${untracked} untracked`);
  const subject = `${branch}: uncommitted work (${parts.join(', ') || 'no'} file${entries.length === 1 ? '' : 's'})`;
  const body = [
    `fleet pick committed the uncommitted work left in the worktree of "${branch}",`,
    untracked > 0 ? 'including untracked files, so that it lands with the branch:' : 'so that it lands with the branch:',
    '',
    ...entries.slice(0, LISTED).map((e) => `  ${describeStatus(e.code).padEnd(12)} ${e.path}`),
    ...(entries.length > LISTED ? [`  … and ${entries.length - LISTED} more`] : []),
  ];
  return `${subject}\n\n${body.join('\n')}\n`;
}

/** Default message of a `--strategy squash` commit: the branch and the subjects squashed. */
export function squashMessage(branch: string, subjects: readonly string[]): string {
  if (subjects.length === 1) return `${subjects[0]}\n\nSquashed from branch "${branch}" by fleet pick.\n`;
  const listed = subjects.slice(0, LISTED).map((s) => `* ${s}`);
  if (subjects.length > LISTED) listed.push(`* … and ${subjects.length - LISTED} more`);
  return `Squash branch '${branch}' (${subjects.length} commits)\n\n${listed.join('\n')}\n`;
}

/** Default message of a `--strategy merge` commit, worded as git words its own. */
export function mergeMessage(branch: string, into: string): string {
  return into === 'main' || into === 'master' ? `Merge branch '${branch}'` : `Merge branch '${branch}' into ${into}`;
}

export type PickStrategy = 'merge' | 'squash' | 'rebase';
export const PICK_STRATEGIES: readonly PickStrategy[] = ['merge', 'squash', 'rebase'];

export function parseStrategy(s: string | undefined): PickStrategy | null {
  const v = (s ?? 'merge').trim().toLowerCase();
  return (PICK_STRATEGIES as readonly string[]).includes(v) ? (v as PickStrategy) : null;
}
