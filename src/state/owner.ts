import type { AgentView } from '../core/reconcile.js';
import { pidAlive } from '../process/pids.js';
import { processStart } from '../process/process-table.js';
import type { StateManager } from './state-manager.js';
import type { AgentRecord } from './types.js';

/** This process, as an owner of half-made records: its pid and start time (so a reused pid is not taken for it). */
export function thisOwner(): Pick<AgentRecord, 'owner_pid' | 'owner_start'> {
  return { owner_pid: process.pid, owner_start: processStart(process.pid) };
}

/** The pid of the fleet process still setting this record up; null when it is ready or its set-up died. */
export function setupOwner(record: AgentRecord, alive: (pid: number, start?: string | null) => boolean = pidAlive): number | null {
  if (record.phase !== 'creating' || record.owner_pid === null) return null;
  return alive(record.owner_pid, record.owner_start) ? record.owner_pid : null;
}

/** The same claim: the same agent, made by the same set-up (not a later one on the same branch). */
export function sameClaim(a: AgentRecord, b: AgentRecord): boolean {
  return a.repo === b.repo && a.branch === b.branch && a.created_at === b.created_at && a.owner_pid === b.owner_pid;
}

/**
 * Record as ready the agents whose set-up finished but whose fleet died before saying so
 * (reconcile marks their views `unrecorded`). Only a record still exactly that claim changes.
 * Returns how many were recorded.
 */
export async function recordUnrecorded(state: StateManager, views: readonly AgentView[]): Promise<number> {
  const claims = views.filter((v) => v.unrecorded).map((v) => v.record);
  if (claims.length === 0) return 0;
  return state.update(
    (agents) =>
      agents.map((a) =>
        a.phase === 'creating' && claims.some((c) => sameClaim(a, c)) ? { ...a, phase: 'ready' as const, owner_pid: null, owner_start: null } : a,
      ),
    (agents) => agents.filter((a) => a.phase === 'ready' && claims.some((c) => c.repo === a.repo && c.branch === a.branch && c.created_at === a.created_at)).length,
  );
}
