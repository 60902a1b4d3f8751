/** Short labels for `fleet list` cells. Pure. */
import path from 'node:path';
import { tildify } from './format.js';

/**
 * A label per repository root that tells them apart: its directory name, or with as many
 * parent directories as it takes when two roots share the name (`work/app`, `oss/app`).
 */
export function repoLabels(roots: readonly string[], home?: string): Map<string, string> {
  const unique = [...new Set(roots)];
  const parts = new Map(unique.map((r) => [r, tildify(r, home).split('/').filter((p) => p !== '')]));
  const out = new Map<string, string>();
  for (const root of unique) {
    const mine = parts.get(root)!;
    const others = unique.filter((r) => r !== root).map((r) => parts.get(r)!);
    let k = 1;
    const tail = (p: string[], n: number) => p.slice(Math.max(0, p.length - n)).join('/');
    while (k < mine.length && others.some((o) => tail(o, k) === tail(mine, k))) k++;
    out.set(root, k >= mine.length ? tildify(root, home) : tail(mine, k));
  }
  return out;
}

/** A worktree as a path under worktree_root (`app/fix-auth`), or in full (with ~) when it lies elsewhere. */
export function worktreeLabel(worktree: string, root: string, home?: string): string {
  const rel = path.relative(root, worktree);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : tildify(worktree, home);
}
