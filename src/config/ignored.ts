import { tildify } from '../core/format.js';
import { CONFIG_FILE } from './paths.js';
import type { ConfigReport, IgnoredKey } from './config-manager.js';
import type { FleetConfig } from './schema.js';

/** The command that makes a repository's gated keys apply. */
export const TRUST_COMMAND = 'fleet trust';

/**
 * The effective config, watched: the first time a command reads a key (or a table entry) that
 * the repository's `.fleet.toml` set but fleet ignored, `onUse` runs, once. So exactly the
 * commands that would have used an ignored key say so — `create` with setup_commands, `prune`
 * with worktree_root, `create --agent x` with [agents.x] — and `list` stays quiet about a
 * setup_commands it never reads. Values are the effective ones; nothing is changed.
 */
export function guardConfig(config: FleetConfig, ignored: readonly IgnoredKey[], onUse: () => void): FleetConfig {
  if (ignored.length === 0) return config;
  let fired = false;
  const fire = () => {
    if (!fired) {
      fired = true;
      onUse();
    }
  };
  const scalars = new Set<string>();
  const entries = new Map<string, Set<string>>();
  for (const { key } of ignored) {
    const dot = key.indexOf('.');
    if (dot === -1) scalars.add(key);
    else {
      const table = key.slice(0, dot);
      if (!entries.has(table)) entries.set(table, new Set());
      entries.get(table)!.add(key.slice(dot + 1));
    }
  }
  const tables = new Map<string, object>();
  const watchTable = (name: string, table: object, names: Set<string>): object => {
    let p = tables.get(name);
    if (!p) {
      // A lookup of an ignored entry, or a listing of the table, would have seen it.
      p = new Proxy(table, {
        get: (t, prop, r) => {
          if (typeof prop === 'string' && names.has(prop)) fire();
          return Reflect.get(t, prop, r) as unknown;
        },
        has: (t, prop) => {
          if (typeof prop === 'string' && names.has(prop)) fire();
          return Reflect.has(t, prop);
        },
        ownKeys: (t) => {
          fire();
          return Reflect.ownKeys(t);
        },
      });
      tables.set(name, p);
    }
    return p;
  };
  return new Proxy(config, {
    get: (t, prop, r) => {
      const value = Reflect.get(t, prop, r) as unknown;
      if (typeof prop !== 'string') return value;
      if (scalars.has(prop)) fire();
      const names = entries.get(prop);
      return names && typeof value === 'object' && value !== null ? watchTable(prop, value, names) : value;
    },
  });
}

/** One warning naming every ignored key, why, and what to do. */
export function ignoredWarning(report: ConfigReport, home: string | undefined): string {
  const file = tildify(report.repoFile?.path ?? '.fleet.toml', home);
  const untrusted = report.ignored.filter((k) => k.reason === 'untrusted').map((k) => k.key);
  const userOnly = report.ignored.filter((k) => k.reason === 'user-only').map((k) => k.key);
  const why = report.repoFile?.trust === 'changed' ? 'it changed since you trusted it' : 'it is not trusted';
  const onlyYours = (keys: string[]) => `only your own ${CONFIG_FILE} may set ${keys.length === 1 ? 'it' : 'them'} (fleet config edit)`;
  if (userOnly.length === 0) return `ignoring ${andList(untrusted)} from ${file}: ${why} (review it, then run: ${TRUST_COMMAND})`;
  if (untrusted.length === 0) return `ignoring ${andList(userOnly)} from ${file}: ${onlyYours(userOnly)}`;
  return `ignoring ${andList(untrusted)} from ${file}: ${why} (review it, then run: ${TRUST_COMMAND}); and ${andList(userOnly)}: ${onlyYours(userOnly)}`;
}

export function andList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
