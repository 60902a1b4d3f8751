import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { pidAlive } from '../process/pids.js';
import { processStart } from '../process/process-table.js';
import { sleep } from '../process/sleep.js';

/**
 * The state lock: proper-lockfile's lock directory (`<file>.lock`, made with mkdir, kept fresh
 * by its mtime), with the holder's pid, start time and host written inside it. proper-lockfile
 * alone only sees a dead holder's lock as stale once its mtime is `STALE_MS` old, so a fleet
 * killed while holding it made every other fleet wait ~15 s. Here a waiter that finds the
 * holder's process gone breaks the lock at once; a live holder (even a stopped one) is waited
 * for, never robbed.
 *
 * Breaking is done by one waiter at a time (a second mkdir lock, `<file>.lock.takeover`, held
 * for a few system calls), which reads the owner again under it and renames the whole lock
 * directory away: no other waiter can remove a lock that a faster one has just taken.
 */

/** A lock whose holder cannot be named (it died before writing its name, or is an older fleet): stale after this long without an update. */
export const STALE_MS = 15_000;
/** How long a fleet waits for a live holder before giving up. */
const WAIT_MS = 20_000;
/** A takeover lock older than this was left by a waiter that died mid-takeover. */
const TAKEOVER_STALE_MS = 5_000;
const OWNER_FILE = 'owner';

export interface LockOwner {
  pid: number;
  start: string | null;
  host: string;
}

export type Release = () => Promise<void>;

function readOwner(lockDir: string): LockOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(path.join(lockDir, OWNER_FILE), 'utf8')) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string' && (typeof o.start === 'string' || o.start === null)) {
      return { pid: o.pid, start: o.start, host: o.host };
    }
  } catch {
    // missing (not written yet, or an older fleet), or cut short by a kill
  }
  return null;
}

/**
 * Name the holder inside the lock directory. Adding the file changes the directory's mtime,
 * which proper-lockfile checks is still the one it set (else it calls the lock compromised),
 * so the mtime is put back.
 */
function writeOwner(lockDir: string): void {
  const before = fs.statSync(lockDir);
  const owner: LockOwner = { pid: process.pid, start: processStart(process.pid), host: os.hostname() };
  fs.writeFileSync(path.join(lockDir, OWNER_FILE), JSON.stringify(owner), { mode: 0o600, flag: 'wx' });
  fs.utimesSync(lockDir, before.atime, before.mtime);
}

/** Is the lock's holder gone: a process of this host that no longer runs, or nobody named and no update for STALE_MS? */
function abandoned(lockDir: string, owner: LockOwner | null): boolean {
  if (owner) return owner.host === os.hostname() && !pidAlive(owner.pid, owner.start);
  try {
    return Date.now() - fs.statSync(lockDir).mtimeMs > STALE_MS;
  } catch {
    return false; // gone already: just try again
  }
}

/** The takeover lock: one waiter at a time decides and breaks. false when another waiter is at it. */
function takeTakeover(takeover: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.mkdirSync(takeover);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      try {
        if (Date.now() - fs.statSync(takeover).mtimeMs <= TAKEOVER_STALE_MS) return false;
        fs.rmdirSync(takeover);
      } catch {
        return false;
      }
    }
  }
  return false;
}

/** Break the lock if its holder is gone. true when it was broken (try to take it again at once). */
function breakAbandoned(lockDir: string): boolean {
  if (!abandoned(lockDir, readOwner(lockDir))) return false;
  const takeover = `${lockDir}.takeover`;
  if (!takeTakeover(takeover)) return false;
  try {
    // Again under the takeover lock: a faster waiter may have broken it and taken it meanwhile.
    if (!fs.existsSync(lockDir) || !abandoned(lockDir, readOwner(lockDir))) return false;
    const aside = `${lockDir}.dead-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    fs.renameSync(lockDir, aside);
    fs.rmSync(aside, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  } finally {
    try {
      fs.rmdirSync(takeover);
    } catch {
      // someone judged it stale; nothing to undo
    }
  }
}

function lockedError(file: string, lockDir: string, why: string): FleetError {
  const owner = readOwner(lockDir);
  if (owner) {
    return new FleetError(`cannot lock ${file}: fleet (pid ${owner.pid}${owner.host === os.hostname() ? '' : ` on ${owner.host}`}) has held it for ${Math.round(WAIT_MS / 1000)} s`, {
      hint: `that fleet is still running (stopped with Ctrl+Z?); let it finish, or end it (kill ${owner.pid})`,
    });
  }
  return new FleetError(`cannot lock ${file}: ${why}`, {
    hint: `another fleet command may be stuck; if none is running, remove ${lockDir}`,
  });
}

/**
 * Take the lock on `file`, waiting for a live holder (up to ~20 s) and breaking a dead one's.
 * The returned function releases it.
 */
export async function lockFile(file: string): Promise<Release> {
  const mod = await import('proper-lockfile');
  const lockfile = (mod as unknown as { default?: typeof mod }).default ?? mod;
  const lockDir = `${file}.lock`;
  const deadline = Date.now() + WAIT_MS;
  let delay = 5;
  for (;;) {
    let why = '';
    try {
      const release = await lockfile.lock(file, {
        realpath: false,
        lockfilePath: lockDir,
        stale: STALE_MS,
        update: STALE_MS / 3,
        retries: 0,
        // A lock only ever goes to another process when this one is gone (see above), so a
        // late mtime update is nothing to crash over.
        onCompromised: () => undefined,
      });
      try {
        writeOwner(lockDir);
      } catch (e) {
        await release().catch(() => undefined);
        throw e;
      }
      return async () => {
        fs.rmSync(path.join(lockDir, OWNER_FILE), { force: true });
        await release().catch(() => fs.rmSync(lockDir, { recursive: true, force: true }));
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTEMPTY: proper-lockfile found it stale by mtime but cannot rmdir a named holder's lock.
      if (code !== 'ELOCKED' && code !== 'ENOTEMPTY') throw new FleetError(`cannot lock ${file}: ${(e as Error).message}`);
      why = (e as Error).message;
    }
    if (breakAbandoned(lockDir)) continue;
    if (Date.now() > deadline) throw lockedError(file, lockDir, why);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 1.3, 100);
  }
}
