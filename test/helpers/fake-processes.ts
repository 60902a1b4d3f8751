import type { ProcEntry, ProcessTable } from '../../src/process/process-table.js';

/** A process in a FakeProcesses table: ProcEntry with defaults, plus how it takes SIGTERM. */
export interface FakeProc extends Partial<ProcEntry> {
  pid: number;
  /** Keeps running on SIGTERM (only SIGKILL ends it). */
  ignoresTerm?: boolean;
}

/**
 * A scripted process table for in-process tests: `list` returns what the test put in, signals
 * are recorded and take effect on the table (SIGTERM ends a process unless it ignores it,
 * SIGKILL always), and no real process is ever signalled. Empty by default, so operations that
 * look for an agent's processes find none.
 */
export class FakeProcesses implements ProcessTable {
  readonly uid = 1000;
  readonly self = 999_999;
  /** Every signal sent, as "SIGTERM 4300". */
  readonly signals: string[] = [];
  private readonly procs = new Map<number, ProcEntry & { ignoresTerm: boolean }>();
  /** How many times the table was read. */
  reads = 0;

  add(...procs: FakeProc[]): this {
    for (const p of procs) {
      this.procs.set(p.pid, {
        ppid: 1, uid: this.uid, sid: p.pid, tty: false, start: `start-${p.pid}`, cwd: null, fleetWorktree: null, command: 'fake',
        ignoresTerm: false, ...p,
      });
    }
    return this;
  }

  /** The pids still running. */
  running(): number[] {
    return [...this.procs.keys()].sort((a, b) => a - b);
  }

  async list(): Promise<ProcEntry[]> {
    this.reads++;
    return [...this.procs.values()].map((p) => ({ ...p }));
  }

  async alive(pid: number, start: string): Promise<boolean> {
    return this.procs.get(pid)?.start === start;
  }

  async signal(pid: number, start: string, signal: NodeJS.Signals): Promise<boolean> {
    const p = this.procs.get(pid);
    if (!p || p.start !== start) return false;
    this.signals.push(`${signal} ${pid}`);
    if (signal === 'SIGKILL' || (signal === 'SIGTERM' && !p.ignoresTerm)) this.procs.delete(pid);
    return true;
  }
}
