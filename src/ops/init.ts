import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { REPO_CONFIG_FILE } from '../config/paths.js';
import type { RepoFacts } from '../core/init-plan.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { ignoredPaths } from '../git/status.js';
import type { Runner } from '../process/runner.js';

/** package.json and friends larger than this are not read (a repository may be hostile). */
const MAX_READ = 1024 * 1024;
/** `.env`, `.env.local`, `.env.development.local`, `.envrc`: nothing stranger is considered. */
const ENV_FILE = /^\.env[A-Za-z0-9._-]*$/;

/**
 * Facts about the repository's root for `fleet init`: the regular files there (links are not
 * followed: a lockfile that is a link does not count), a few small text files, and which
 * `.env*` files git ignores (asked of git itself: `git check-ignore`, which also leaves out
 * tracked files).
 */
export async function gatherRepoFacts(run: Runner, root: string): Promise<RepoFacts> {
  const files = new Set(
    fs
      .readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => d.name),
  );
  let packageJson: RepoFacts['packageJson'] = null;
  const pkgText = files.has('package.json') ? readRootText(root, 'package.json') : null;
  if (pkgText !== null) {
    try {
      const doc = JSON.parse(pkgText) as unknown;
      packageJson = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc) : {};
    } catch {
      packageJson = {}; // still a JavaScript project; its scripts are just unreadable
    }
  }
  const envCandidates = [...files].filter((f) => ENV_FILE.test(f)).sort();
  const ignoredEnvFiles = await ignoredPaths(run, root, envCandidates);
  const text = (name: string) => (files.has(name) ? readRootText(root, name) : null);
  return {
    files,
    packageJson,
    pyprojectToml: text('pyproject.toml'),
    setupCfg: text('setup.cfg'),
    toxIni: text('tox.ini'),
    makefile: text('Makefile') ?? text('makefile') ?? text('GNUmakefile'),
    ignoredEnvFiles,
  };
}

/** A small regular file at the root, read without following a link; null when absent, a link or too big. */
function readRootText(root: string, name: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(path.join(root, name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_READ) return null;
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Is there a `.fleet.toml` (a file, a link, anything) at the root? */
export function fleetTomlExists(root: string): boolean {
  try {
    fs.lstatSync(path.join(root, REPO_CONFIG_FILE));
    return true;
  } catch {
    return false;
  }
}

/**
 * Write `.fleet.toml` whole or not at all: a temp file beside it, then link (which fails if the
 * file appeared meanwhile) or, with force, rename over it. A rename replaces a link itself,
 * never the file it points to, so a hostile `.fleet.toml -> ~/.bashrc` is not written through.
 */
export function writeFleetToml(root: string, text: string, opts: { force?: boolean } = {}): string {
  const dest = path.join(root, REPO_CONFIG_FILE);
  try {
    atomicWrite(dest, text, { mode: 0o644, replace: Boolean(opts.force) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FleetError(`${REPO_CONFIG_FILE} already exists`, { hint: 'fleet init --force replaces it' });
    }
    throw e;
  }
  return dest;
}
