import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { STATE_FILE } from '../config/paths.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { lockFile, type Release } from './lock.js';
import type { AgentRecord, StateFile } from './types.js';
import { validateRecords } from './validate.js';

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
    if (parsed && parsed.bad.length === 0) return parsed.state.agents;
    // Unreadable, or records of the wrong shape: repair under the lock so two readers don't both set it aside.
    return this.update((agents) => agents);
  }

  /** Apply `fn` to the records under the lock and write the result atomically. */
  async update<T = AgentRecord[]>(fn: (agents: AgentRecord[]) => AgentRecord[] | Promise<AgentRecord[]>, pick?: (agents: AgentRecord[]) => T): Promise<T> {
    fs.mkdirSync(this.home, { recursive: true, mode: 0o700 });
    const release: Release = await lockFile(this.file);
    try {
      const parsed = this.parse();
      let current: StateFile;
      if (!parsed) current = { version: 1, agents: await this.recover() };
      else if (parsed.bad.length > 0) current = { version: 1, agents: await this.setAside(parsed.state.agents, parsed.bad.length, parsed.text) };
      else current = parsed.state;
      const next = await fn(current.agents.map((a) => ({ ...a })));
      this.write({ version: 1, agents: next });
      return pick ? pick(next) : (next as unknown as T);
    } finally {
      await release().catch(() => undefined);
    }
  }

  /**
   * The good records and the bad ones (validateRecords); null when the file is corrupt, or
   * missing while tmux may still know of agents (rebuild); otherwise a missing file is an empty state.
   */
  private parse(): { state: StateFile; bad: unknown[]; text: string } | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return this.opts.rebuild ? null : { state: { version: 1, agents: [] }, bad: [], text: '' };
      throw new FleetError(`cannot read ${this.file}: ${(e as Error).message}`);
    }
    let doc: { agents?: unknown } | null;
    try {
      doc = JSON.parse(text) as { agents?: unknown } | null;
    } catch {
      return null;
    }
    if (!doc || typeof doc !== 'object' || !Array.isArray(doc.agents)) return null;
    const { good, bad } = validateRecords(doc.agents as unknown[]);
    return { state: { version: 1, agents: good }, bad, text };
  }

  /** A copy of the file as it was, beside it, for the user to look into: `state.json.corrupt-<time>`. */
  private keepCopy(text: string): string {
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    atomicWrite(aside, text, { replace: false });
    return aside;
  }

  /**
   * Records of the wrong shape: the good ones stay, the file as it was is kept as a copy, and
   * live fleet sessions that no good record claims (the bad ones may have been theirs) are
   * rebuilt from tmux. One warning. Called with the lock held.
   */
  private async setAside(good: AgentRecord[], badCount: number, text: string): Promise<AgentRecord[]> {
    const aside = this.keepCopy(text);
    const claimed = (r: AgentRecord) => good.some((g) => g.session === r.session || (g.repo === r.repo && g.branch === r.branch));
    const rebuilt = (await this.rebuild(false)).filter((r) => !claimed(r));
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    this.opts.warn?.(
      `${this.file} had ${plural(badCount, 'record')} of the wrong shape; set ${badCount === 1 ? 'it' : 'them'} aside (the file as it was is in ${path.basename(aside)})` +
        (rebuilt.length > 0 ? ` and rebuilt ${plural(rebuilt.length, 'record')} from tmux` : ''),
    );
    return [...good, ...rebuilt];
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
