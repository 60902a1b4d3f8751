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

/** Every character outside [A-Za-z0-9_-] becomes "-": tmux rewrites "." and ":" itself. */
export function sanitizeForTmux(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** `<tmux_prefix><repo-name>_<branch>`, sanitized. */
export function sessionNameFor(prefix: string, repoName: string, branch: string): string {
  return sanitizeForTmux(`${prefix}${repoName}_${branch}`);
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
  if (!records.some((r) => r.repo !== repoRoot && r.repo_name === baseName)) return baseName;
  let h = 0x811c9dc5; // FNV-1a: stable and dependency-free; six hex digits are plenty here
  for (const ch of repoRoot) h = Math.imul(h ^ ch.codePointAt(0)!, 0x01000193) >>> 0;
  return `${baseName}-${h.toString(16).padStart(8, '0').slice(0, 6)}`;
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
