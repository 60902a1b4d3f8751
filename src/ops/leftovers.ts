import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RepoContext } from '../context.js';
import type { WorktreeEntry } from '../core/parse.js';
import type { Leftover } from '../core/prune-plan.js';
import { realpath } from '../git/repo.js';
import { pruneWorktrees, removeWorktree } from '../git/worktrees.js';
import { pidAlive } from '../process/pids.js';
import { processStartedAt } from '../process/process-table.js';

/*
 * Leftovers of a fleet killed at the wrong moment (kill -9, a crash, a power cut), by name: a
 * temp file of an atomic write (`state.json.tmp-<pid>-…`), a prompt file the launcher never
 * read (`run/<session>-<pid>-….prompt`), the lock directory a takeover was removing
 * (`state.json.lock.dead-<pid>-…`), pick's scratch worktree (`<tmp>/fleet-pick-<pid>-…`, still
 * registered with git).
 */

/** Younger than this, a leftover may still be in use (a write, a launch, a pick in progress). */
export const LEFTOVER_AGE_MS = 60_000;

/** Is the process that made a file at `madeAt` (epoch ms) still running? A pid reused by a later process does not count. */
function makerAlive(pid: number, madeAt: number): boolean {
  if (!pidAlive(pid)) return false;
  const started = processStartedAt(pid);
  // Start times are whole seconds (and ps's lstart too): a second's slack.
  return started === null || started <= madeAt + 1_000;
}

/** A leftover when it is old enough and the process its name points to is gone (no pid in the name: age alone). */
function abandoned(file: string, pid: number | null, now: number, minAge = LEFTOVER_AGE_MS): boolean {
  let mtime: number;
  try {
    mtime = fs.lstatSync(file).mtimeMs;
  } catch {
    return false;
  }
  if (now - mtime < minAge) return false;
  return pid === null || !makerAlive(pid, mtime);
}

const TEMP = /\.tmp-(\d+)-[a-z0-9]+$/;
const PROMPT = /-(\d+)-[a-z0-9]+\.prompt$/;
const DEAD_LOCK = /^state\.json\.lock\.dead-(\d+)-[a-z0-9]+$/;
/** A retry hint's copy of a prompt (`prompts/<batch>-<hash>.txt`): kept this long for the user to paste the hint. */
export const RETRY_PROMPT_AGE_MS = 7 * 24 * 3600_000;
const RETRY_PROMPT = /^[^/]+-[0-9a-f]+\.txt$/;
const SCRATCH = /^fleet-pick-(?:(\d+)-)?[A-Za-z0-9]+$/;

function entries(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * fleet's leftovers in its home and, for this repository, pick's scratch worktrees that git
 * still lists (`worktrees`: one `git worktree list` already read). Only what is older than
 * LEFTOVER_AGE_MS and whose maker is gone; never a symbolic link's target.
 */
export function findLeftovers(ctx: RepoContext, worktrees: readonly WorktreeEntry[], now = Date.now()): Leftover[] {
  const home = ctx.configs.home;
  const run = path.join(home, 'run');
  const rules: { dir: string; name: RegExp; kind: Leftover['kind']; minAge?: number }[] = [
    { dir: home, name: TEMP, kind: 'temp-file' },
    { dir: home, name: DEAD_LOCK, kind: 'lock' },
    { dir: run, name: TEMP, kind: 'temp-file' },
    { dir: run, name: PROMPT, kind: 'prompt-file' },
    { dir: path.join(home, 'prompts'), name: RETRY_PROMPT, kind: 'retry-prompt', minAge: RETRY_PROMPT_AGE_MS },
  ];
  const out: Leftover[] = [];
  const pidOf = (m: RegExpExecArray | null) => (m?.[1] ? Number(m[1]) : null);
  for (const rule of rules) {
    for (const name of entries(rule.dir)) {
      const m = rule.name.exec(name);
      const file = path.join(rule.dir, name);
      if (m && abandoned(file, pidOf(m), now, rule.minAge)) out.push({ kind: rule.kind, path: file, pid: pidOf(m) });
    }
  }
  const tmp = realpath(os.tmpdir());
  for (const w of worktrees) {
    const m = SCRATCH.exec(path.basename(w.path));
    if (!m || realpath(path.dirname(w.path)) !== tmp) continue;
    // A directory already deleted (a reboot cleared /tmp) is only git's entry: always a leftover.
    if (w.prunable || abandoned(w.path, pidOf(m), now)) out.push({ kind: 'scratch-worktree', path: w.path, pid: pidOf(m) });
  }
  return out;
}

/** What `fleet prune` says about one. */
export function describeLeftover(l: Leftover): string {
  const who = l.pid === null ? 'a fleet that is gone' : `fleet pid ${l.pid}, which is gone`;
  switch (l.kind) {
    case 'temp-file':
      return `half-written file of ${who}`;
    case 'prompt-file':
      return `prompt no agent read, written by ${who}`;
    case 'lock':
      return `broken state lock, left by ${who}`;
    case 'scratch-worktree':
      return `pick's scratch worktree, left by ${who}`;
    case 'retry-prompt':
      return 'copy of a prompt for a retry hint, over a week old';
  }
}

/** Remove one (the scratch worktree through git, so its entry goes too). */
export async function removeLeftover(ctx: RepoContext, l: Leftover): Promise<void> {
  if (l.kind === 'scratch-worktree') {
    // Its directory may be gone already (a reboot cleared the temp directory): then only git's entry is left.
    if (fs.existsSync(l.path)) await removeWorktree(ctx.run, ctx.repo.root, l.path, { worktreeRoot: os.tmpdir(), force: true });
    await pruneWorktrees(ctx.run, ctx.repo.root);
    return;
  }
  fs.rmSync(l.path, { recursive: l.kind === 'lock', force: true });
}
