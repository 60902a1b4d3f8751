import { FleetError } from '../errors.js';
import { plural } from './format.js';

/** A place agents can go: a host's name (null: this machine), and how many more agents it takes (null: no limit). */
export interface HostRoom {
  name: string | null;
  room: number | null;
}

/**
 * Spread `count` agents over `hosts` round-robin, in the order given, skipping a host once it
 * is full (`max_agents` minus its live agents). An error naming each host's room when they
 * cannot take them all. Pure.
 */
export function spreadOverHosts(count: number, hosts: readonly HostRoom[]): Array<string | null> {
  const left = hosts.map((h) => h.room);
  const out: Array<string | null> = [];
  let i = 0;
  while (out.length < count) {
    if (left.every((r) => r !== null && r <= 0)) {
      const rooms = hosts.map((h) => `${h.name ?? 'local'} ${plural(Math.max(0, h.room ?? 0), 'free slot')}`).join(', ');
      throw new FleetError(`the hosts have room for ${plural(out.length, 'agent')}, not ${count} (${rooms})`, {
        hint: 'add a host to --hosts, raise max_agents in its [hosts.NAME], or start fewer agents',
      });
    }
    const k = i++ % hosts.length;
    const r = left[k];
    if (r !== null && r! <= 0) continue;
    if (r !== null) left[k] = r! - 1;
    out.push(hosts[k]!.name);
  }
  return out;
}
