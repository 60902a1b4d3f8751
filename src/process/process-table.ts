import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { Runner } from './runner.js';

/** One process as fleet needs to see it to end an agent's processes (and nothing else). */
export interface ProcEntry {
  pid: number;
  ppid: number;
  /** Its owner's user id; null when it could not be read (then fleet never touches it). */
  uid: number | null;
  /** Its session id (Linux); null where the system does not say. */
  sid: number | null;
  /** Has a controlling terminal. */
  tty: boolean;
  /** When it started, in the system's own terms: with the pid, it names one process even after the pid is reused. */
  start: string;
  /** Its working directory, symlinks resolved; null when it cannot be read. */
  cwd: string | null;
  /** FLEET_WORKTREE from the environment it was started with (Linux, own processes); null otherwise. */
  fleetWorktree: string | null;
  /** The program's name, for messages. */
  command: string;
}

/**
 * The process table behind one seam, like the runner for git and tmux: the system's (Linux
 * /proc, elsewhere ps and lsof through the runner) or, in in-process tests, a scripted one
 * that never signals a real process.
 */
export interface ProcessTable {
  /** This process's user id (null where the system has none). */
  readonly uid: number | null;
  /** This process's pid. */
  readonly self: number;
  /** Every running process (zombies left out: they have ended). */
  list(): Promise<ProcEntry[]>;
  /** Is the process that had `start` still running under `pid` (not ended, not a zombie, not a reused pid)? */
  alive(pid: number, start: string): Promise<boolean>;
  /** Send `signal` to `pid` if it is still the process that had `start`. false when it has gone. */
  signal(pid: number, start: string, signal: NodeJS.Signals): Promise<boolean>;
}

/**
 * /proc/<pid>/stat: the command name (field 2) is in parentheses and may hold spaces and
 * parentheses itself, so the fields are counted from the last ")". Pure.
 */
export function parseStatLine(pid: number, text: string): { state: string; ppid: number; sid: number; tty: boolean; start: string; command: string } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open === -1 || close < open) return null;
  const f = text.slice(close + 2).split(' '); // f[0] is field 3 (state)
  if (f.length < 20) return null;
  const ppid = Number(f[1]);
  const sid = Number(f[3]);
  const ttyNr = Number(f[4]);
  const start = f[19]!; // field 22: starttime, clock ticks after boot
  if (!Number.isInteger(ppid) || !Number.isInteger(sid) || !/^\d+$/.test(start)) return null;
  return { state: f[0]!, ppid, sid, tty: ttyNr !== 0, start, command: text.slice(open + 1, close) };
}

/**
 * One /proc file, read with one reusable buffer: readFileSync's fstat and growing reads cost
 * three times as much on these size-less files, and a kill reads a few hundred of them.
 */
let procBuffer = Buffer.alloc(16 * 1024);
function readProcFile(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    let len = 0;
    for (;;) {
      if (len === procBuffer.length) procBuffer = Buffer.concat([procBuffer, Buffer.alloc(procBuffer.length)]);
      const n = fs.readSync(fd, procBuffer, len, procBuffer.length - len, null);
      if (n === 0) break;
      len += n;
    }
    return procBuffer.subarray(0, len);
  } finally {
    fs.closeSync(fd);
  }
}

/** A /proc/<pid>/cwd link: a directory removed meanwhile reads "<path> (deleted)". */
function readCwd(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, '');
  } catch {
    return null; // another user's, or gone
  }
}

function readFleetWorktree(pid: number): string | null {
  let env: Buffer;
  try {
    env = readProcFile(`/proc/${pid}/environ`);
  } catch {
    return null;
  }
  const key = Buffer.from('FLEET_WORKTREE=');
  let at = env.indexOf(key);
  // Only at the start of an entry (after a NUL), not inside another variable's value.
  while (at > 0 && env[at - 1] !== 0) at = env.indexOf(key, at + 1);
  if (at === -1) return null;
  const end = env.indexOf(0, at);
  return env.subarray(at + key.length, end === -1 ? env.length : end).toString('utf8');
}

function readStat(pid: number): ReturnType<typeof parseStatLine> {
  try {
    return parseStatLine(pid, readProcFile(`/proc/${pid}/stat`).toString('latin1'));
  } catch {
    return null;
  }
}

/** A zombie (Z) or a dead task (X) has ended: nothing to signal, and its memory is gone. */
const ended = (state: string) => state === 'Z' || state === 'X';

/** Linux: everything from /proc, no process spawned. */
function linuxTable(): ProcessTable {
  const uid = process.getuid?.() ?? null;
  return {
    uid,
    self: process.pid,
    async list() {
      const out: ProcEntry[] = [];
      for (const name of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        const pid = Number(name);
        const st = readStat(pid);
        if (!st || ended(st.state)) continue;
        let owner: number | null = null;
        try {
          owner = fs.statSync(`/proc/${name}`).uid;
        } catch {
          continue; // gone meanwhile
        }
        const mine = owner === uid;
        out.push({
          pid,
          ppid: st.ppid,
          uid: owner,
          sid: st.sid,
          tty: st.tty,
          start: st.start,
          // Another user's cwd and environment are not readable, and not fleet's business.
          cwd: mine ? readCwd(pid) : null,
          fleetWorktree: mine ? readFleetWorktree(pid) : null,
          command: st.command,
        });
      }
      return out;
    },
    async alive(pid, start) {
      const st = readStat(pid);
      return st !== null && !ended(st.state) && st.start === start;
    },
    async signal(pid, start, signal) {
      const st = readStat(pid);
      if (!st || ended(st.state) || st.start !== start) return false;
      return sendSignal(pid, signal);
    },
  };
}

function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // ESRCH: gone; EPERM: not ours (never chosen, but never fatal)
  }
}

/** The argv of the ps read the portable table makes (macOS and the BSDs; also works on Linux). */
export const PS_TABLE_ARGS = ['-A', '-o', 'pid=,ppid=,uid=,stat=,tty=,lstart=,comm='] as const;

/**
 * `ps -A -o pid=,ppid=,uid=,stat=,tty=,lstart=,comm=` → entries without cwd (lsof adds it).
 * lstart is five words ("Mon Nov 27 16:15:53 2026"); the command is the rest of the line. Pure.
 */
export function parsePsTable(out: string): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    if (/^[ZX]/.test(m[4]!)) continue;
    const tty = m[5]!;
    entries.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      uid: Number(m[3]),
      sid: null,
      tty: tty !== '??' && tty !== '-' && tty !== '?',
      start: m[6]!.replace(/\s+/g, ' '),
      cwd: null,
      fleetWorktree: null,
      command: m[7]!.trim(),
    });
  }
  return entries;
}

/** `lsof -nP -d cwd -Fpn` → pid → cwd. Its output is one "p<pid>" line, then "n<path>" lines. Pure. */
export function parseLsofCwd(out: string): Map<number, string> {
  const cwds = new Map<number, string>();
  let pid: number | null = null;
  for (const line of out.split('\n')) {
    if (line.startsWith('p')) pid = Number(line.slice(1));
    else if (line.startsWith('n') && pid !== null && Number.isInteger(pid)) cwds.set(pid, line.slice(1));
  }
  return cwds;
}

/**
 * Elsewhere (macOS): one ps read, plus lsof for working directories when it is installed. Without
 * lsof, processes are found by the tree below the agent's panes only (a documented limit).
 */
function portableTable(run: Runner): ProcessTable {
  const uid = process.getuid?.() ?? null;
  const entry = async (pid: number) => {
    const r = await run('ps', ['-o', PS_TABLE_ARGS[2], '-p', String(pid)], { reject: false });
    return r.exitCode === 0 ? (parsePsTable(r.stdout)[0] ?? null) : null;
  };
  return {
    uid,
    self: process.pid,
    async list() {
      const [ps, lsof] = await Promise.all([
        run('ps', [...PS_TABLE_ARGS]),
        run('lsof', ['-nP', '-d', 'cwd', '-Fpn'], { reject: false }).catch(() => null),
      ]);
      const entries = parsePsTable(ps.stdout);
      const cwds = lsof ? parseLsofCwd(lsof.stdout) : new Map<number, string>();
      for (const e of entries) e.cwd = e.uid === uid ? (cwds.get(e.pid) ?? null) : null;
      return entries;
    },
    async alive(pid, start) {
      return (await entry(pid))?.start === start;
    },
    async signal(pid, start, signal) {
      if ((await entry(pid))?.start !== start) return false;
      return sendSignal(pid, signal);
    },
  };
}

/** The system's process table: /proc on Linux, ps (and lsof) elsewhere. Nothing is read until asked. */
export function systemProcesses(run: Runner): ProcessTable {
  return process.platform === 'linux' && fs.existsSync('/proc/self/stat') ? linuxTable() : portableTable(run);
}

/**
 * When `pid` started, in the terms ProcEntry.start uses; null when no such process runs. On
 * Linux one small file read; elsewhere one ps call (only for owner checks of half-made agents,
 * never on a hot path).
 */
export function processStart(pid: number): string | null {
  if (process.platform === 'linux' && fs.existsSync('/proc/self/stat')) {
    const st = readStat(pid);
    return st && !ended(st.state) ? st.start : null;
  }
  try {
    const r = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' });
    const s = r.status === 0 ? r.stdout.trim().replace(/\s+/g, ' ') : '';
    return s === '' ? null : s;
  } catch {
    return null;
  }
}

/** Linux's boot time, epoch ms ("btime" in /proc/stat, whole seconds). */
function bootMs(): number | null {
  try {
    const m = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'latin1'));
    return m ? Number(m[1]) * 1000 : null;
  } catch {
    return null;
  }
}

/** USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every architecture Node runs on (kernel ABI). */
const TICKS_PER_S = 100;

/**
 * When `pid` started, epoch ms (to the second); null when no such process runs. Tells a file's
 * owner from a later process that got the same pid: one started after the file was written
 * cannot have written it.
 */
export function processStartedAt(pid: number): number | null {
  const start = processStart(pid);
  if (start === null) return null;
  if (/^\d+$/.test(start)) {
    const boot = bootMs();
    return boot === null ? null : boot + (Number(start) / TICKS_PER_S) * 1000;
  }
  const t = Date.parse(start);
  return Number.isFinite(t) ? t : null;
}
