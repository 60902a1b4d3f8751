import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { globMatch, isGlob } from '../core/glob.js';
import { isInside } from '../core/names.js';
import { realpath } from './repo.js';

/** What copyFiles did: files copied, notes (a file not found), warnings (a file refused). */
export interface CopyResult {
  copied: string[];
  notes: string[];
  warnings: string[];
}

/**
 * Copy credential files (paths or globs relative to the repo root) into a new worktree,
 * keeping their mode. Paths escaping the repository are refused; a missing file is a note.
 *
 * The worktree holds whatever the branch committed, and a branch may be hostile: `.env` may be
 * a symbolic link to ~/.bashrc, `conf` one to a directory elsewhere. Nothing is ever written
 * through a link: every directory on the way is checked with lstat, the file is written as a
 * new temporary file in its directory (O_EXCL | O_NOFOLLOW) and renamed over the destination.
 * A destination that is a link (or whose directory is) is refused with a warning naming it;
 * the other files are still copied.
 */
export function copyFiles(repo: string, worktree: string, patterns: readonly string[]): CopyResult {
  const { files, notes } = credentialFiles(repo, patterns);
  const result: CopyResult = { copied: [], notes, warnings: [] };
  for (const f of files) {
    const refused = writeInside(worktree, f.rel, f.data, f.mode);
    if (refused) result.warnings.push(refusedWarning(f.rel, refused));
    else result.copied.push(f.rel);
  }
  return result;
}

/** One credential file to copy: its path relative to the repository, its bytes and mode. */
export interface CredentialFile {
  rel: string;
  data: Buffer;
  mode: number;
}

/**
 * The credential files `patterns` name in `repo` (paths or globs relative to it), read: a path
 * escaping the repository, or a file whose real path does, is refused; a pattern matching
 * nothing is a note. Where they are written (here, or on a host) is the caller's.
 */
export function credentialFiles(repo: string, patterns: readonly string[]): { files: CredentialFile[]; notes: string[] } {
  const files: CredentialFile[] = [];
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
      files.push({ rel, data: fs.readFileSync(src), mode: st.mode & 0o7777 });
    }
  }
  return { files, notes };
}

/** The warning for a credential file not copied because of what the branch put in its way. */
export function refusedWarning(rel: string, why: string): string {
  return `credential file "${rel}" not copied: ${why}; fleet never writes through a link the branch put there`;
}

/**
 * Write `data` to `<root>/<rel>` without following a symbolic link at the file or at any
 * directory between `root` and it (missing directories are made). Returns why it refused, or
 * null once written.
 */
function writeInside(root: string, rel: string, data: Buffer, mode: number): string | null {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  const name = parts.pop()!;
  let dir = root;
  for (const [i, part] of parts.entries()) {
    dir = path.join(dir, part);
    const shown = parts.slice(0, i + 1).join('/');
    const st = lstat(dir);
    if (!st) fs.mkdirSync(dir);
    else if (st.isSymbolicLink()) return `in the worktree, "${shown}" is a symbolic link`;
    else if (!st.isDirectory()) return `in the worktree, "${shown}" is not a directory`;
  }
  const dest = path.join(dir, name);
  const st = lstat(dest);
  if (st?.isSymbolicLink()) return 'in the worktree it is a symbolic link';
  if (st && !st.isFile()) return 'in the worktree it is not a regular file';
  const tmp = path.join(dir, `.${name}.fleet-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    fs.writeFileSync(fd, data);
    fs.fchmodSync(fd, mode);
    fs.closeSync(fd);
    fs.renameSync(tmp, dest); // replaces the name itself, never what it might point to
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return null;
}

function lstat(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
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
