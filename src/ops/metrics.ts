import fs from 'node:fs';
import path from 'node:path';
import { PS_ARGS, parseProcessTable, treeOf, type ProcessTree } from '../core/process-tree.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { runnerLog, type Runner } from '../process/runner.js';

/** What `list --help` says about the numbers. */
export const USAGE_HELP = `CPU is the percent of one core (100% = one core busy) used by the agent and
every process it started, averaged since the previous fleet list when that was
1 s to 10 min ago, otherwise over each process's lifetime; list --watch
averages over each 2 s redraw. MEMORY is the resident memory (RSS) of the same
processes, summed.`;

/** A baseline younger than this is too short to measure (CPU time moves in 10 ms ticks). */
export const MIN_WINDOW_MS = 1_000;
/** Older than this, "since the last look" stops meaning "now": fall back to the lifetime average. */
export const MAX_WINDOW_MS = 10 * 60_000;

/** One process: what /proc (or pidusage) reports of it, its start time made absolute. */
export interface ProcStat {
  pid: number;
  /** CPU time used so far (user + system), ms. */
  ctime: number;
  /** When it started, epoch ms (approximate: ± a few ms). */
  start: number;
  /** Resident memory, bytes. */
  memory: number;
}

/** What was seen of one process at one moment: the baseline for the next CPU figure. */
export interface CpuSample {
  start: number;
  ctime: number;
  at: number;
}

/** pid → its last samples (at most two, oldest first). Kept in a small file between lists. */
export type SampleBook = Record<string, CpuSample[]>;

export interface TreeUsage {
  /** Percent of one core, one decimal. */
  cpu: number;
  /** Bytes. */
  memory: number;
  /** How many processes the tree has. */
  processes: number;
  /** `cpu` is averaged since the previous look (1 s to 10 min ago), not over the processes' lifetimes. */
  windowed: boolean;
}

/** Two samples with starts this close are the same process (the start time is derived, not exact). */
const SAME_PROCESS_MS = 1_000;

/** The newest sample of `pid` (the same process) that is old enough to measure against. */
function baselineOf(book: SampleBook, p: ProcStat, now: number): CpuSample | null {
  const samples = book[String(p.pid)] ?? [];
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i]!;
    const age = now - s.at;
    if (Math.abs(s.start - p.start) > SAME_PROCESS_MS || s.ctime > p.ctime) continue;
    if (age >= MIN_WINDOW_MS && age <= MAX_WINDOW_MS) return s;
  }
  return null;
}

/**
 * CPU % and memory of one process tree (`stats[0]` is its root, the agent). Each process counts
 * the CPU time it used since its baseline sample; one born after the root's baseline counts
 * all of it over the root's window; with no baseline at all, the lifetime average. Pure.
 */
export function treeUsage(stats: readonly ProcStat[], book: SampleBook, now: number): TreeUsage {
  const root = stats[0];
  const rootBase = root ? baselineOf(book, root, now) : null;
  let cpu = 0;
  let memory = 0;
  for (const p of stats) {
    memory += p.memory;
    const base = baselineOf(book, p, now);
    if (base) cpu += (p.ctime - base.ctime) / (now - base.at);
    else if (rootBase && p.start >= rootBase.at) cpu += p.ctime / (now - rootBase.at);
    else cpu += p.ctime / Math.max(now - p.start, MIN_WINDOW_MS);
  }
  return { cpu: Math.round(cpu * 1000) / 10, memory, processes: stats.length, windowed: rootBase !== null };
}

/**
 * The book after a look at `stats`: each process gets the new sample unless its newest one is
 * younger than MIN_WINDOW_MS (then that one stays, to measure the next look against); samples
 * older than MAX_WINDOW_MS and processes gone from the table are dropped. Pure.
 */
export function recordSamples(book: SampleBook, stats: readonly ProcStat[], now: number, alive: (pid: number) => boolean): SampleBook {
  const next: SampleBook = {};
  for (const [pid, samples] of Object.entries(book)) {
    const kept = samples.filter((s) => now - s.at <= MAX_WINDOW_MS);
    if (kept.length > 0 && alive(Number(pid))) next[pid] = kept;
  }
  for (const p of stats) {
    const key = String(p.pid);
    const samples = (next[key] ?? []).filter((s) => Math.abs(s.start - p.start) <= SAME_PROCESS_MS);
    const newest = samples[samples.length - 1];
    if (newest && now - newest.at < MIN_WINDOW_MS) {
      next[key] = samples;
      continue;
    }
    next[key] = [...samples, { start: p.start, ctime: p.ctime, at: now }].slice(-2);
  }
  return next;
}

/** Reads ProcStats of many pids at once; pids that have ended are left out. */
export type StatReader = (pids: number[]) => Promise<Map<number, ProcStat>>;

/**
 * USER_HZ, the unit of the times in /proc/<pid>/stat: 100 on every architecture Node runs on
 * (it is kernel ABI, unlike the kernel's own HZ).
 */
const CLOCK_TICKS_PER_S = 100;

/**
 * One /proc/<pid>/stat line → ProcStat. The command name (field 2) is in parentheses and may
 * itself hold spaces and parentheses, so fields are counted from the last ")". Pure.
 */
export function parseProcStat(pid: number, text: string, machine: { bootMs: number; pageSize: number }): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  const f = text.slice(close + 2).split(' '); // f[0] is field 3 (state)
  if (f[0] === 'Z' || f.length < 22) return null; // a zombie has ended: its memory is gone
  const tick = 1000 / CLOCK_TICKS_PER_S;
  const ctime = (Number(f[11]) + Number(f[12])) * tick; // utime + stime
  const start = machine.bootMs + Number(f[19]) * tick; // starttime
  const memory = Number(f[21]) * machine.pageSize; // rss, in pages
  if (![ctime, start, memory].every(Number.isFinite)) return null;
  return { pid, ctime, start, memory };
}

/** Page size from this process's own RSS, counted in pages (statm) and in kB (status). */
function pageSizeOfThisMachine(): number {
  try {
    const pages = Number(fs.readFileSync('/proc/self/statm', 'latin1').split(' ')[1]);
    const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'latin1'))?.[1]);
    const ratio = (kb * 1024) / pages;
    if (Number.isFinite(ratio) && ratio > 0) return 2 ** Math.round(Math.log2(ratio));
  } catch {
    // fall through
  }
  return 4096;
}

/**
 * Linux: read /proc/<pid>/stat directly, one small file per process and no process spawned.
 * pidusage reads the same files, but its first call runs getconf twice through a shell and
 * reads every file twice; for 100 processes that is ~20 ms against ~3 ms here, more than the
 * whole budget of a fast `fleet list`.
 */
export const readProcStats: StatReader = async (pids) => {
  const uptimeS = Number(fs.readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
  const machine = { bootMs: Date.now() - uptimeS * 1000, pageSize: pageSizeOfThisMachine() };
  const out = new Map<number, ProcStat>();
  for (const pid of pids) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue; // ended since the ps read
    }
    const stat = parseProcStat(pid, text, machine);
    if (stat) out.set(pid, stat);
  }
  return out;
};

type Pidusage = (pids: number[]) => Promise<Record<string, { ctime: number; elapsed: number; memory: number; timestamp: number } | null>>;

/** Elsewhere (macOS, BSD): pidusage, which asks one `ps` about every pid. */
export const readWithPidusage: StatReader = async (pids) => {
  const mod = (await import('pidusage')) as unknown as { default?: Pidusage } & Pidusage;
  const pidusage = mod.default ?? mod;
  const raw = await pidusage(pids);
  const out = new Map<number, ProcStat>();
  for (const pid of pids) {
    const s = raw[String(pid)];
    if (s) out.set(pid, { pid, ctime: s.ctime, start: s.timestamp - s.elapsed, memory: s.memory });
  }
  return out;
};

function defaultStatReader(): StatReader {
  return process.platform === 'linux' && fs.existsSync('/proc/self/stat') ? readProcStats : readWithPidusage;
}

/**
 * CPU and memory of agents' process trees: one `ps` read of the whole process table for the
 * trees, then the figures of every process in them in one go (see readProcStats and
 * readWithPidusage): never a process per agent. pidusage's own `cpu` field is not used: on
 * the first look at a pid it is always 0, and a one-shot `fleet list` only ever looks once.
 * CPU comes from CPU-time deltas against the samples kept in `samplesFile` (and in memory,
 * for --watch).
 */
export class UsageSampler {
  private prepared: Promise<ProcessTree> | null = null;
  private book: SampleBook | null = null;
  /** What the last measure() found (root pid → usage): for views between two measurements. */
  last: ReadonlyMap<number, TreeUsage> | null = null;

  constructor(
    private readonly run: Runner,
    private readonly samplesFile: string | null,
    private readonly readStats: StatReader = defaultStatReader(),
  ) {}

  /** Start reading the process table, so that it overlaps the tmux call. measure() waits for it. */
  prepare(): void {
    this.prepared ??= this.run('ps', [...PS_ARGS]).then((r) => parseProcessTable(r.stdout));
    // Not awaited yet; a failure is reported by measure().
    this.prepared.catch(() => undefined);
  }

  /** Usage of each root pid's tree; roots no longer in the process table are left out. */
  async measure(roots: readonly number[]): Promise<Map<number, TreeUsage>> {
    this.prepare();
    const tree = await this.prepared!;
    this.prepared = null;
    const trees = new Map<number, number[]>();
    for (const root of new Set(roots)) {
      const pids = treeOf(tree, root);
      if (pids.length > 0) trees.set(root, pids);
    }
    const all = [...new Set([...trees.values()].flat())];
    const out = new Map<number, TreeUsage>();
    this.last = out;
    if (all.length === 0) return out;

    const started = performance.now();
    const stats = await this.readStats(all);
    const now = Date.now();
    if (runnerLog.verbose) {
      const how = this.readStats === readProcStats ? '/proc' : 'pidusage';
      runnerLog.write(`+ ${how}: ${all.length} processes in ${trees.size} tree(s)  (${(performance.now() - started).toFixed(0)} ms)`);
    }
    const book = this.loadBook();
    for (const [root, pids] of trees) {
      const mine = pids.map((p) => stats.get(p)).filter((s): s is ProcStat => s !== undefined);
      if (mine.length > 0 && mine[0]!.pid === root) out.set(root, treeUsage(mine, book, now));
    }
    this.saveBook(recordSamples(book, [...stats.values()], now, (pid) => tree.parent.has(pid)));
    return out;
  }

  private loadBook(): SampleBook {
    if (this.book) return this.book;
    if (!this.samplesFile) return {};
    try {
      const doc = JSON.parse(fs.readFileSync(this.samplesFile, 'utf8')) as unknown;
      return doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as SampleBook) : {};
    } catch {
      return {}; // missing or unreadable: a cache, so start over
    }
  }

  private saveBook(book: SampleBook): void {
    this.book = book;
    if (!this.samplesFile) return;
    try {
      fs.mkdirSync(path.dirname(this.samplesFile), { recursive: true, mode: 0o700 });
      // No fsync: this runs on every list, and a lost write only costs one lifetime average.
      atomicWrite(this.samplesFile, JSON.stringify(book), { durable: false });
    } catch {
      // A cache: failing to keep it only makes the next figure a lifetime average.
    }
  }
}
