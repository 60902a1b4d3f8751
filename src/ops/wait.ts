import { formatAge } from '../core/format.js';
import { FleetError, InterruptedError } from '../errors.js';
import type { RepoContext } from '../context.js';
import { settled } from '../core/agent-state.js';
import { sleep } from '../process/sleep.js';
import type { AgentRecord } from '../state/types.js';
import { matchAgents, recordsOfRepo, unknownAgent } from './find.js';
import { collectRows, usageSampler, type ListedAgent } from './list.js';

/** How often `fleet wait` looks again (one tmux call each time). */
export const WAIT_POLL_MS = 1_000;

/** The agents named by branches or globs and/or a batch; all of this repository's when neither is given. */
export async function selectAgents(ctx: RepoContext, branches: readonly string[], batch: string | undefined): Promise<AgentRecord[]> {
  const all = recordsOfRepo(await ctx.state.read(), ctx.repo);
  let chosen = batch === undefined ? all : all.filter((r) => r.batch_id === batch);
  if (batch !== undefined && chosen.length === 0) {
    throw new FleetError(`no agents in batch "${batch}" in this repository`, { hint: 'fleet list --grouped shows the batches' });
  }
  if (branches.length > 0) {
    const { matched, unmatched } = matchAgents(chosen, branches);
    if (unmatched.length > 0) throw unknownAgent(unmatched[0]!, chosen);
    chosen = matched;
  }
  if (chosen.length === 0) throw new FleetError('no agents in this repository to wait for', { hint: 'fleet create <branch> --prompt "..." starts one' });
  return chosen;
}

/**
 * Look at the agents until every one has settled (needs the user, done, ended or gone), the
 * timeout passes or `signal` fires (InterruptedError). Each look is what `fleet list` does (one
 * tmux call, one process-table read: an agent without hooks that is quiet but busy on the CPU
 * is running, not settled), with CPU measured since the look before.
 */
export async function waitForAgents(
  ctx: RepoContext,
  agents: readonly AgentRecord[],
  opts: { timeoutS?: number; signal?: AbortSignal; pollMs?: number },
): Promise<{ rows: ListedAgent[]; timedOut: boolean }> {
  const sessions = new Set(agents.map((a) => a.session));
  const deadline = opts.timeoutS === undefined ? Infinity : Date.now() + opts.timeoutS * 1000;
  const sampler = usageSampler(ctx);
  for (;;) {
    const rows = (await collectRows(ctx, {}, { sampler })).filter((r) => sessions.has(r.session));
    if (rows.every(rowSettled)) return { rows, timedOut: false };
    if (Date.now() >= deadline) return { rows, timedOut: true };
    await sleep(Math.min(opts.pollMs ?? WAIT_POLL_MS, deadline - Date.now()), opts.signal);
    if (opts.signal?.aborted) throw new InterruptedError('interrupted: stopped waiting');
  }
}

/** core/agent-state's rule, on a list row. */
export function rowSettled(r: ListedAgent): boolean {
  return settled({ status: r.status, reason: r.state_reason });
}

/** "fix-auth  waiting 2m  permission: Bash(npm test)". */
export function describe(r: Pick<ListedAgent, 'branch' | 'status' | 'exit_code' | 'state_since' | 'state_reason'>): string {
  const status = r.status === 'exited' && r.exit_code !== null ? `exited (${r.exit_code})` : r.status;
  const since = r.state_since ? ` ${formatAge(Date.now() - Date.parse(r.state_since))}` : '';
  return `${r.branch}  ${status}${since}${r.state_reason ? `  ${r.state_reason}` : ''}`;
}
