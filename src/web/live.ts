/**
 * The one refresh loop behind every open page. While at least one page listens (or views a
 * terminal), it reads the agents every `fastMs` with one tmux call, which also reads the
 * screens someone is viewing (statuses and screens reach the page within about that); it adds
 * CPU and memory from one process-table read every `measureMs` (between two, the last figures,
 * with which a quiet agent busy on the CPU stays running, as in `fleet list`), and works out each agent's
 * changes (a few git calls per agent) in the background, one agent at a time, only when they
 * may have changed. Pages get the list only when it differs from the last one sent. No page,
 * no work.
 */
import type { ChangeStats } from '../core/changes.js';
import type { AgentRow, FleetOps } from './fleet-ops.js';
import type { ScreenMirrors } from './screen.js';

export interface LiveOptions {
  /** Statuses: one tmux call this often. */
  fastMs: number;
  /** CPU/memory: one process-table read this often. */
  measureMs: number;
  /** Changes of an agent that is busy: at most this often. */
  changesBusyMs: number;
  /** Changes of every agent: at least this often. */
  changesAllMs: number;
}

export const DEFAULT_LIVE: LiveOptions = { fastMs: 500, measureMs: 10_000, changesBusyMs: 30_000, changesAllMs: 5 * 60_000 };

/** Statuses of an agent at work: its files may be changing. */
const BUSY = new Set(['running', 'working', 'starting']);
/** Statuses with no worktree to look at (yet, or any more). */
const NO_CHANGES = new Set(['creating', 'setup-failed']);

export type Send = (event: string, data: string) => void;

interface ChangeEntry {
  stats: ChangeStats | null;
  at: number;
  status: string;
}

export class LiveFleet {
  private readonly listeners = new Set<Send>();
  private running = false;
  private wake: (() => void) | null = null;
  private lastPayload: string | null = null;
  private lastRows: AgentRow[] | null = null;
  private lastMeasure = 0;
  private readonly changes = new Map<string, ChangeEntry>();
  private changesBusy = false;
  private stopped = false;
  private lastProblem: string | null = null;
  /** Refreshes done (one tmux call each): for tests and the benchmark. */
  ticks = 0;

  constructor(
    private readonly ops: Pick<FleetOps, 'refresh' | 'changes'>,
    private readonly mirrors: Pick<ScreenMirrors, 'wanted' | 'deliver' | 'polling'>,
    private readonly opts: LiveOptions = DEFAULT_LIVE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Start sending the list to `send` (at once, if there is one); the returned function stops. */
  subscribe(send: Send): () => void {
    this.listeners.add(send);
    if (this.lastPayload !== null) send('agents', this.lastPayload);
    this.kick();
    return () => {
      this.listeners.delete(send);
      if (!this.wanted()) this.wake?.();
    };
  }

  /** Look now (a new viewer, an action): start the loop, or cut its wait short. */
  kick(): void {
    if (!this.running) void this.loop();
    else this.wake?.();
  }

  private wanted(): boolean {
    return !this.stopped && (this.listeners.size > 0 || this.mirrors.polling > 0);
  }

  get listening(): number {
    return this.listeners.size;
  }

  /** Refresh now instead of at the next tick (after an action changed something). */
  refreshSoon(): void {
    this.wake?.();
  }

  /** Work out this agent's changes again (its diff was read, or it was told something). */
  invalidateChanges(session: string): void {
    this.changes.delete(session);
  }

  /** Stop the loop for good (the server is closing). */
  stop(): void {
    this.stopped = true;
    this.listeners.clear();
    this.wake?.();
  }

  /** Send an event to every page (progress of an action). */
  announce(event: string, data: string): void {
    this.broadcast(event, data);
  }

  private broadcast(event: string, data: string): void {
    for (const send of this.listeners) send(event, data);
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.wanted()) {
        const started = this.now();
        await this.tick();
        if (!this.wanted()) break;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            this.wake = null;
            resolve();
          };
          const timer = setTimeout(done, Math.max(0, this.opts.fastMs - (this.now() - started)));
          this.wake = done;
        });
      }
    } finally {
      this.running = false;
      // A page may have arrived while the last tick ran.
      if (this.wanted()) void this.loop();
    }
  }

  private async tick(): Promise<void> {
    const now = this.now();
    const measure = now - this.lastMeasure >= this.opts.measureMs;
    const captures = this.mirrors.wanted();
    let rows: AgentRow[];
    try {
      const r = await this.ops.refresh({ measure, captures });
      this.ticks++;
      rows = r.rows;
      for (const [session, c] of r.captures) this.mirrors.deliver(session, c);
    } catch (e) {
      const message = (e as Error).message ?? String(e);
      if (message !== this.lastProblem) this.broadcast('problem', JSON.stringify({ message }));
      this.lastProblem = message;
      return;
    }
    if (this.lastProblem !== null) this.broadcast('problem', JSON.stringify({ message: null }));
    this.lastProblem = null;
    if (measure) this.lastMeasure = now;
    this.lastRows = rows;
    if (this.listeners.size === 0) return;
    this.publish();
    this.scheduleChanges(rows, now);
  }

  /** Rows with their changes merged in; sent only when they differ. (CPU and memory between two measurements are the last measurement's: the refresh gives them.) */
  private publish(): void {
    if (!this.lastRows) return;
    const merged = this.lastRows.map((r) => {
      const out: AgentRow = { ...r };
      const c = this.changes.get(r.session);
      if (c && (r.changes === null || r.changes === undefined)) out.changes = c.stats;
      return out;
    });
    const payload = JSON.stringify(merged);
    if (payload === this.lastPayload) return;
    this.lastPayload = payload;
    this.broadcast('agents', payload);
  }

  private changesDue(r: AgentRow, now: number): boolean {
    if (NO_CHANGES.has(r.status)) return false;
    const c = this.changes.get(r.session);
    if (!c) return true;
    const age = now - c.at;
    if (age >= this.opts.changesAllMs) return true;
    // A turn ended or began: look once more; while busy, now and then.
    if (c.status !== r.status && age >= 2_000) return true;
    return BUSY.has(r.status) && age >= this.opts.changesBusyMs;
  }

  /** One agent at a time in the background, so a refresh never waits on git. */
  private scheduleChanges(rows: readonly AgentRow[], now: number): void {
    if (this.changesBusy) return;
    const live = new Set(rows.map((r) => r.session));
    for (const s of this.changes.keys()) if (!live.has(s)) this.changes.delete(s);
    const due = rows.filter((r) => this.changesDue(r, now));
    if (due.length === 0) return;
    this.changesBusy = true;
    void (async () => {
      try {
        for (const r of due) {
          if (this.listeners.size === 0) break;
          const stats = await this.ops.changes(r.session).catch(() => null);
          this.changes.set(r.session, { stats, at: this.now(), status: r.status });
        }
      } finally {
        this.changesBusy = false;
      }
      this.publish();
    })();
  }
}
