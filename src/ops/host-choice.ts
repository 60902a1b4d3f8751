import { UsageError } from '../errors.js';
import type { Context } from '../context.js';
import { resolveHost } from '../config/hosts.js';
import { spreadOverHosts } from '../core/host-spread.js';
import { checkHostName } from './resolve-agent.js';

/**
 * The host of each of `count` agents of a batch: all on --host NAME, or spread over
 * --hosts a,b[,local] up to each host's max_agents (its live agents counted), or all here.
 * Unknown hosts fail before anything is made.
 */
export async function hostsForBatch(ctx: Context, opts: { host?: string; hosts?: string }, count: number): Promise<Array<string | null>> {
  if (opts.host !== undefined && opts.hosts !== undefined) {
    throw new UsageError('--host and --hosts cannot be used together', '--host NAME puts every agent there; --hosts a,b spreads them');
  }
  if (opts.hosts === undefined) {
    const host = checkHostName(ctx, opts.host);
    return Array.from({ length: count }, () => host);
  }
  const names = opts.hosts.split(',').map((h) => h.trim());
  if (names.some((n) => n === '') || new Set(names).size !== names.length) {
    throw new UsageError(`--hosts "${opts.hosts}" is not a list of distinct host names`, 'e.g. --hosts build1,build2 or --hosts local,build1');
  }
  const records = await ctx.state.read();
  const rooms = names.map((n) => {
    const name = checkHostName(ctx, n);
    if (name === null) return { name, room: null };
    const max = resolveHost(ctx.config.hosts, name, '').maxAgents;
    return { name, room: max === null ? null : max - records.filter((r) => r.host === name).length };
  });
  return spreadOverHosts(count, rooms);
}
