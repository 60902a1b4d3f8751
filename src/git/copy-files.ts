import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { globMatch, isGlob } from '../core/glob.js';
import { isInside } from '../core/names.js';
import { realpath } from './repo.js';

/**
 * Copy credential files (paths or globs relative to the repo root) into a new worktree,
 * keeping their mode. Paths escaping the repository are refused; a missing file is a note.
 */
export function copyFiles(repo: string, worktree: string, patterns: readonly string[]): { copied: string[]; notes: string[] } {
  const copied: string[] = [];
  const notes: string[] = [];
  for (const pattern of patterns) {
    if (path.isAbsolute(pattern) || !isInside(repo, path.resolve(repo, pattern))) {
      throw new FleetError(`credential_files entry "${pattern}" is outside the repository`, {
        hint: 'list paths relative to the repository root',
      });
    }
    const matches = expandGlob(repo, pattern);
    if (matches.length === 0) {
      notes.push(`credential file "${pattern}" not found in ${repo}; skipped`);
      continue;
    }
    for (const rel of matches) {
      const src = path.join(repo, rel);
      const real = realpath(src);
      if (!isInside(realpath(repo), real)) {
        throw new FleetError(`credential file "${rel}" points outside the repository (${real})`);
      }
      const st = fs.statSync(src);
      if (!st.isFile()) continue;
      const dest = path.join(worktree, rel);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(src, dest);
      fs.chmodSync(dest, st.mode & 0o7777);
      copied.push(rel);
    }
  }
  return { copied, notes };
}

/** Expand a relative glob (`*`, `?`, `[..]`, `**`) against the repository's files. */
export function expandGlob(root: string, pattern: string): string[] {
  const parts = pattern.split('/').filter((p) => p !== '' && p !== '.');
  if (!parts.some(isGlob)) return fs.existsSync(path.join(root, ...parts)) ? [parts.join('/')] : [];
  const out: string[] = [];
  const walk = (rel: string[], i: number): void => {
    if (i === parts.length) {
      out.push(rel.join('/'));
      return;
    }
    const part = parts[i]!;
    const dir = path.join(root, ...rel);
    if (part === '**') {
      walk(rel, i + 1);
      for (const e of readDir(dir)) if (e.isDirectory() && e.name !== '.git') walk([...rel, e.name], i);
      return;
    }
    if (!isGlob(part)) {
      if (fs.existsSync(path.join(dir, part))) walk([...rel, part], i + 1);
      return;
    }
    for (const e of readDir(dir)) {
      if (e.name === '.git') continue;
      if (globMatch(part, e.name)) walk([...rel, e.name], i + 1);
    }
  };
  walk([], 0);
  return [...new Set(out)].sort();
}

function readDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
