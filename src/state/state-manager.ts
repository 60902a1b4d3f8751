import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { STATE_FILE } from '../config/paths.js';
import { atomicWrite } from '../fs/atomic-write.js';
import type { AgentRecord, StateFile } from './types.js';

export interface StateManagerOptions {
  /** Rebuild records from tmux when state.json is unreadable. */
  rebuild?: () => Promise<AgentRecord[]>;
  /** Where warnings go (moved-aside corrupt files). */
  warn?: (msg: string) => void;
}

export function sameAgent(a: Pick<AgentRecord, 'repo' | 'branch'>, b: Pick<AgentRecord, 'repo' | 'branch'>): boolean {
  return a.repo === b.repo && a.branch === b.branch;
}

/** Which records to pick: any of repository, branch and batch (unset fields match everything). */
export interface RecordQuery {
  repo?: string;
  branch?: string;
  batch?: string | null;
}

export function queryRecords(records: readonly AgentRecord[], q: RecordQuery): AgentRecord[] {
  return records.filter(
    (r) => (q.repo === undefined || r.repo === q.repo) && (q.branch === undefined || r.branch === q.branch) && (q.batch === undefined || r.batch_id === q.batch),
  );
}

/**
 * `state.json` (0600, in a 0700 home). Every change holds one lock across the whole
 * read-modify-write and lands with temp + fsync + rename, so readers never see half a file
 * and concurrent fleet processes never lose each other's records.
 */
export class StateManager {
  readonly file: string;

  constructor(
    readonly home: string,
    private readonly opts: StateManagerOptions = {},
  ) {
    this.file = path.join(home, STATE_FILE);
  }

  /** Records matching a query (by repository, branch, batch). */
  async query(q: RecordQuery): Promise<AgentRecord[]> {
    return queryRecords(await this.read(), q);
  }

  /** Read all records without locking (readers never see a partial file). */
  async read(): Promise<AgentRecord[]> {
    const parsed = this.parse();
    if (parsed) return parsed.agents;
    // Unreadable: repair under the lock so two readers don't both move it aside.
    return this.update((agents) => agents);
  }

  /** Apply `fn` to the records under the lock and write the result atomically. */
  async update<T = AgentRecord[]>(fn: (agents: AgentRecord[]) => AgentRecord[] | Promise<AgentRecord[]>, pick?: (agents: AgentRecord[]) => T): Promise<T> {
    fs.mkdirSync(this.home, { recursive: true, mode: 0o700 });
    const mod = await import('proper-lockfile');
    const lockfile = (mod as unknown as { default?: typeof mod }).default ?? mod;
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.file, {
        realpath: false,
        lockfilePath: this.file + '.lock',
        stale: 15_000,
        update: 5_000,
        retries: { retries: 200, factor: 1.3, minTimeout: 5, maxTimeout: 100, randomize: true },
      });
    } catch (e) {
      throw new FleetError(`cannot lock ${this.file}: ${(e as Error).message}`, {
        hint: `another fleet command may be stuck; if none is running, remove ${this.file}.lock`,
      });
    }
    try {
      let current = this.parse();
      if (!current) current = { version: 1, agents: await this.recover() };
      const next = await fn(current.agents.map((a) => ({ ...a })));
      this.write({ version: 1, agents: next });
      return pick ? pick(next) : (next as unknown as T);
    } finally {
      await release().catch(() => undefined);
    }
  }

  /**
   * null when the file is corrupt, or missing while tmux may still know of agents (rebuild);
   * otherwise a missing file is an empty state.
   */
  private parse(): StateFile | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return this.opts.rebuild ? null : { version: 1, agents: [] };
      throw new FleetError(`cannot read ${this.file}: ${(e as Error).message}`);
    }
    try {
      const doc = JSON.parse(text) as Partial<StateFile>;
      if (!doc || typeof doc !== 'object' || !Array.isArray(doc.agents)) return null;
      if (!doc.agents.every((a) => a && typeof a === 'object' && typeof a.repo === 'string' && typeof a.branch === 'string')) return null;
      return { version: 1, agents: doc.agents };
    } catch {
      return null;
    }
  }

  /** Move a corrupt file aside (a missing one has nothing to move) and rebuild from tmux. Called with the lock held. */
  private async recover(): Promise<AgentRecord[]> {
    if (fs.existsSync(this.file)) {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const aside = `${this.file}.corrupt-${stamp}`;
      fs.renameSync(this.file, aside);
      const rebuilt = await this.rebuild(true);
      this.opts.warn?.(
        `${this.file} was unreadable; moved it to ${path.basename(aside)} and rebuilt ${rebuilt.length} record(s) from tmux`,
      );
      return rebuilt;
    }
    // Missing (deleted, or never written): live sessions still carry their @fleet_* options.
    // Nothing is lost if tmux cannot say (not installed yet, on a first run): no warning then.
    const rebuilt = await this.rebuild(false);
    if (rebuilt.length > 0) {
      this.opts.warn?.(`${this.file} was missing; rebuilt ${rebuilt.length} record(s) from tmux`);
    }
    return rebuilt;
  }

  /** Records from tmux; when tmux cannot answer, none rather than no fleet at all. */
  private async rebuild(warnOnFailure: boolean): Promise<AgentRecord[]> {
    if (!this.opts.rebuild) return [];
    try {
      return await this.opts.rebuild();
    } catch (e) {
      if (warnOnFailure) this.opts.warn?.(`could not rebuild agent records from tmux: ${(e as Error).message}`);
      return [];
    }
  }

  private write(state: StateFile): void {
    atomicWrite(this.file, JSON.stringify(state, null, 2) + '\n');
  }
}
