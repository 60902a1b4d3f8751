/**
 * A configured host as the ops use it: its runners (a patient one, and a quick one for list's
 * reads), git to it, and the scripts that do on the host, in one ssh call each, what the local
 * ops do with node:fs and the process table. Loaded only when a record or --host names a host.
 */
import type { Context } from '../context.js';
import { resolveHost, type Host } from '../config/hosts.js';
import { FleetError } from '../errors.js';
import type { Runner } from '../process/runner.js';
import { controlDir } from './control-dir.js';
import { remoteGate, remoteRunner, type RemoteGate } from './remote-runner.js';
import type { RemoteGit } from './repo-sync.js';
import { DEFAULT_POLICY, type ConnectionPolicy } from './ssh-command.js';

export interface HostPlace {
  name: string;
  host: Host;
  policy: ConnectionPolicy;
  /** Runs on the host; every call bounded by 60 s (setup commands use `setup`). */
  run: Runner;
  /** Runs on the host, bounded by LIST_TIMEOUT_MS: list's reads. */
  quick: Runner;
  /** Runs on the host without a bound (setup commands: they end by themselves or by abort). */
  setup: Runner;
  git: RemoteGit;
}

/** How long list waits for a host before showing its agents as unreachable. */
export const LIST_TIMEOUT_MS = 5_000;

const places = new WeakMap<object, { byKey: Map<string, HostPlace>; gates: Map<string, RemoteGate> }>();

/** The place of host `name` for this context's repository: one per process (one gate, one connection). */
export function hostPlace(ctx: Context, name: string, repoName?: string): HostPlace {
  let mine = places.get(ctx.configs);
  if (!mine) places.set(ctx.configs, (mine = { byKey: new Map(), gates: new Map() }));
  const key = `${name}\0${repoName ?? ''}`;
  const known = mine.byKey.get(key);
  if (known) return known;
  const host = resolveHost(ctx.config.hosts, name, repoName ?? ctx.repo?.name ?? '');
  const policy: ConnectionPolicy = { ...DEFAULT_POLICY, controlDir: controlDir(ctx.configs.home) };
  // Every runner of the host queues together: they share one connection (MaxSessions).
  let gate = mine.gates.get(name);
  if (!gate) mine.gates.set(name, (gate = remoteGate()));
  const mk = (timeoutMs: number) => remoteRunner(host, { policy, timeoutMs, gate });
  const run = mk(60_000);
  const place: HostPlace = {
    name,
    host,
    policy,
    run,
    quick: mk(LIST_TIMEOUT_MS),
    setup: mk(0),
    // git push/fetch run here, with the caller's environment (its ssh-agent, its HOME's ssh config).
    git: { host, policy, remote: run, local: ctx.run },
  };
  mine.byKey.set(key, place);
  return place;
}

/** The host of a record, which must still be configured (hosts come from the user's config). */
export function recordPlace(ctx: Context, record: { host?: string | null; repo_name: string; branch: string }): HostPlace {
  if (!record.host) throw new Error('recordPlace: a local record');
  if (!ctx.config.hosts[record.host]) {
    throw new FleetError(`"${record.branch}" runs on host "${record.host}", which is no longer in your config`, {
      hint: `add [hosts.${record.host}] back to your config (fleet config edit)`,
    });
  }
  return hostPlace(ctx, record.host, record.repo_name);
}
