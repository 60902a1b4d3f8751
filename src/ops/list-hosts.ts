/**
 * list's look at agents on hosts: one ssh call per host (tmux list-panes, riding the host's
 * connection), all hosts at once and alongside the local tmux call. A host that does not
 * answer within LIST_TIMEOUT_MS, or whose ssh fails, shows its agents as unreachable, with
 * ssh's message: its records are kept as they are (never marked missing because a host was away).
 */
import type { Context } from '../context.js';
import { reconcile, type AgentView } from '../core/reconcile.js';
import { FleetError } from '../errors.js';
import { pidAlive } from '../process/pids.js';
import type { AgentRecord } from '../state/types.js';
import { listPanes } from '../tmux/sessions.js';
import { hostPlace } from '../remote/host-place.js';

export async function hostViews(ctx: Context, records: readonly AgentRecord[]): Promise<AgentView[]> {
  const byHost = new Map<string, AgentRecord[]>();
  for (const r of records) byHost.set(r.host!, [...(byHost.get(r.host!) ?? []), r]);
  const parts = await Promise.all(
    [...byHost].map(async ([name, mine]): Promise<AgentView[]> => {
      try {
        if (!ctx.config.hosts[name]) throw new FleetError(`host "${name}" is no longer in your config`, { hint: `add [hosts.${name}] back (fleet config edit)` });
        const panes = await listPanes(hostPlace(ctx, name).quick);
        // Worktrees on a host are not stat'ed from here: a session gone is "missing" as locally.
        return reconcile(mine, panes, { now: Date.now(), idleSeconds: ctx.config.idle_seconds, pidAlive });
      } catch (e) {
        if (!(e instanceof FleetError)) throw e;
        ctx.ui.warn(`host "${name}" unreachable: ${e.message.replace(/^host "[^"]*":? ?/, '')}${e.hint ? ` (${e.hint})` : ''}`);
        return mine.map((record) => ({ record, pane: null, exitCode: null, status: 'unreachable' as const, reason: e.message }));
      }
    }),
  );
  return parts.flat();
}
