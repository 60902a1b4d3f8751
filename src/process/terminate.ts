import type { ProcEntry, ProcessTable } from './process-table.js';
import { sleep } from './sleep.js';

/** How long processes get to exit after SIGTERM before SIGKILL (they may save state, end children). */
export const TERM_GRACE_MS = 2_500;
/** How long to wait for SIGKILL to take effect (a process in uninterruptible sleep takes a moment). */
const KILL_WAIT_MS = 2_000;
const POLL_MS = 40;

export interface TerminateResult {
  /** How many of the processes have ended. */
  ended: number;
  /** How many needed SIGKILL (they ignored or outlived SIGTERM). */
  killed: number;
  /** Still running after SIGKILL (uninterruptible, or no longer ours): named in a warning. */
  left: ProcEntry[];
}

/** The ones of `procs` still running. */
async function running(table: ProcessTable, procs: readonly ProcEntry[]): Promise<ProcEntry[]> {
  const alive = await Promise.all(procs.map((p) => table.alive(p.pid, p.start)));
  return procs.filter((_, i) => alive[i]);
}

/** Poll until none of `procs` runs or `ms` has passed; returns the ones still running. */
async function waitGone(table: ProcessTable, procs: readonly ProcEntry[], ms: number): Promise<ProcEntry[]> {
  const deadline = Date.now() + ms;
  let left = await running(table, procs);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(POLL_MS);
    left = await running(table, left);
  }
  return left;
}

/**
 * End processes the way init systems do: SIGTERM to all, poll until they are gone for up to
 * `graceMs`, then SIGKILL the rest (a stopped process gets SIGCONT too, or SIGTERM waits for
 * it forever). Each signal goes only to the process that had that start time, never to a
 * later one that reused its pid.
 */
export async function terminate(table: ProcessTable, procs: readonly ProcEntry[], opts: { graceMs?: number } = {}): Promise<TerminateResult> {
  if (procs.length === 0) return { ended: 0, killed: 0, left: [] };
  for (const p of procs) {
    await table.signal(p.pid, p.start, 'SIGTERM');
    await table.signal(p.pid, p.start, 'SIGCONT');
  }
  const stubborn = await waitGone(table, procs, opts.graceMs ?? TERM_GRACE_MS);
  for (const p of stubborn) await table.signal(p.pid, p.start, 'SIGKILL');
  const left = await waitGone(table, stubborn, KILL_WAIT_MS);
  return { ended: procs.length - left.length, killed: stubborn.length - left.length, left };
}
