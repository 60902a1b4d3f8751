import path from 'node:path';

/**
 * Why a branch name is refused, or null when git would accept it.
 * Mirrors `git check-ref-format --branch` (refs.c: check_refname_component) so names are
 * refused before anything is made, without a git call per name.
 */
export function branchNameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.startsWith('-')) return 'it starts with "-"';
  if (name === '@') return 'it is "@"';
  if (name === 'HEAD') return 'it is "HEAD"';
  if (name.includes('..')) return 'it contains ".."';
  if (name.includes('@{')) return 'it contains "@{"';
  if (name.endsWith('/')) return 'it ends with "/"';
  if (name.startsWith('/')) return 'it starts with "/"';
  if (name.endsWith('.')) return 'it ends with "."';
  if (name.includes('//')) return 'it contains "//"';
  for (const ch of name) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) return 'it contains a control character';
    if (ch === ' ') return 'it contains a space';
    if ('~^:?*[\\'.includes(ch)) return `it contains "${ch}"`;
  }
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return `a part starts with "." ("${component}")`;
    if (component.endsWith('.lock')) return `a part ends with ".lock" ("${component}")`;
  }
  return null;
}

/**
 * git keeps a branch as the file refs/heads/<branch> (and <branch>.lock while it writes it), and
 * fleet its worktree as a directory per part: no part may be longer than a file name minus ".lock".
 */
export const MAX_BRANCH_PART_BYTES = 250;

/** Why a branch name that git's rules accept cannot be made on disk (a part over 250 bytes), or null. */
export function branchLengthProblem(name: string): string | null {
  for (const part of name.split('/')) {
    const bytes = Buffer.byteLength(part);
    if (bytes > MAX_BRANCH_PART_BYTES) {
      const shown = part.length > 24 ? `${part.slice(0, 24)}…` : part;
      return `its part "${shown}" is ${bytes} bytes; git keeps a branch as a file, so a part can be at most ${MAX_BRANCH_PART_BYTES} bytes (File name too long)`;
    }
  }
  return null;
}

/** Every character outside [A-Za-z0-9_-] becomes "-": tmux rewrites "." and ":" itself. */
export function sanitizeForTmux(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** Longest session name fleet makes: files are named after sessions (logs/<session>.setup.log), and a file name has at most 255 bytes. */
export const MAX_SESSION_NAME = 120;

/**
 * `<tmux_prefix><repo-name>_<branch>`, every character outside [A-Za-z0-9_-] made "-". That
 * mapping loses information (feat/login and feat-login would share a session), so when it
 * changed the branch, or the name is too long, a hash of the branch is appended
 * (`feat-login-3fa9c1`); a branch that itself ends like such a hash gets one too, so a
 * branch can never take the session name another branch was given. One branch, one session.
 */
export function sessionNameFor(prefix: string, repoName: string, branch: string): string {
  const head = sanitizeForTmux(`${prefix}${repoName}_`);
  const part = sanitizeForTmux(branch);
  const plain = head + part;
  if (part === branch && !HASHED.test(part) && plain.length <= MAX_SESSION_NAME) return plain;
  const room = Math.max(20, MAX_SESSION_NAME - head.length - 7);
  return `${head}${part.slice(0, room)}-${shortHash(branch)}`;
}

const HASHED = /-[0-9a-f]{6}$/;

/** Six hex digits of FNV-1a: stable across runs and machines, dependency-free; plenty to tell a few names apart. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (const ch of s) h = Math.imul(h ^ ch.codePointAt(0)!, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0').slice(0, 6);
}

/**
 * The name a repository's agents use in session names and worktree paths: its directory name,
 * unless another repository with the same directory name already has agents (two clones called
 * "app"), in which case a short hash of its path tells them apart. A repository that already has
 * agents keeps the name they were made with.
 */
export function agentRepoName(repoRoot: string, baseName: string, records: readonly { repo: string; repo_name: string }[]): string {
  const own = records.find((r) => r.repo === repoRoot);
  if (own) return own.repo_name;
  // "my.app" and "my-app" would share session names: the same name as far as tmux is concerned.
  const inTmux = sanitizeForTmux(baseName);
  if (!records.some((r) => r.repo !== repoRoot && sanitizeForTmux(r.repo_name) === inTmux)) return baseName;
  return `${baseName}-${shortHash(repoRoot)}`;
}

/** `<worktree_root>/<repo-name>/<branch>`; branches with "/" nest, as they do under refs/heads. */
export function worktreePathFor(worktreeRoot: string, repoName: string, branch: string): string {
  return path.join(worktreeRoot, repoName, ...branch.split('/'));
}

/** Expand a leading "~" the way a shell would. */
export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/** True when `child` is `parent` or inside it (both absolute). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
