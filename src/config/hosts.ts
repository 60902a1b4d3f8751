import { FleetError } from '../errors.js';
import { parseSshCommand, SshCommandError, type SshTarget } from '../remote/ssh-command.js';
import type { Bad, TableEntries } from './tables.js';

/** `[hosts.NAME]` as written in the user's config.toml. */
export interface HostConfig {
  /** The whole ssh command line (`ssh -p 2222 user@build1`), or just `user@host` / an alias. */
  ssh: string;
  /** Where the remote clone lives on that host; `~/` is the remote user's home. */
  repo_path?: string;
  /** How many agents fleet puts on this host at most (fanout --hosts spreads up to it). */
  max_agents?: number;
}

/** A host ready to use: its ssh command taken apart, its clone's path for one repository. */
export interface Host {
  name: string;
  target: SshTarget;
  /** Absolute, or starting with "~/" (expanded on the host). */
  repoPath: string;
  maxAgents: number | null;
}

export const HOST_NAME = /^[A-Za-z0-9_-]+$/;

/** "local" is kept for this machine (`fanout --hosts local,build1`). */
const RESERVED_NAMES = new Set(['local']);

/**
 * Check the `hosts` table of the user's config. Types and values are errors naming
 * `hosts.NAME.key` and what was expected; the ssh command line is taken apart here, so a
 * typo in it fails at load time, not half-way through a create.
 */
export function validateHosts(raw: unknown, file: string, bad: Bad): TableEntries<HostConfig> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('hosts', 'a table of [hosts.NAME]', raw);
  const hosts: Record<string, HostConfig> = {};
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const where = `hosts.${name}`;
    if (!HOST_NAME.test(name)) throw bad(where, 'named with letters, digits, "_" or "-" only', name);
    if (RESERVED_NAMES.has(name)) throw new FleetError(`${where} in ${file}: "${name}" is reserved for this machine`, { hint: 'give the host another name' });
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(where, 'a table with ssh = "…"', value);
    const t = value as Record<string, unknown>;
    for (const k of Object.keys(t)) {
      if (!['ssh', 'repo_path', 'max_agents'].includes(k)) warnings.push(`unknown key "${where}.${k}" in ${file} (ignored)`);
    }
    if (t.ssh === undefined) {
      throw new FleetError(`${where} in ${file} has no ssh command`, { hint: `add the line: ssh = "ssh user@machine" (the whole ssh command line) under [${where}]` });
    }
    if (typeof t.ssh !== 'string') throw bad(`${where}.ssh`, 'a string such as "ssh -p 2222 user@build1"', t.ssh);
    try {
      parseSshCommand(t.ssh);
    } catch (e) {
      if (!(e instanceof SshCommandError)) throw e;
      throw new FleetError(`${where}.ssh in ${file} is not a usable ssh command line: ${e.message} (got ${JSON.stringify(t.ssh)})`, {
        hint: 'write the whole ssh command, e.g. ssh = "ssh -p 2222 user@build1", or just "user@build1"; fix it with: fleet config edit',
      });
    }
    const host: HostConfig = { ssh: t.ssh };
    if (t.repo_path !== undefined) {
      const p = t.repo_path;
      if (typeof p !== 'string' || !(p.startsWith('/') || p.startsWith('~/')) || /[\0\n\r]/.test(p)) {
        throw bad(`${where}.repo_path`, 'an absolute path or one starting with "~/" (on that host)', p);
      }
      host.repo_path = p.replace(/\/+$/, '');
    }
    if (t.max_agents !== undefined) {
      let n: unknown = t.max_agents;
      if (typeof n === 'bigint') n = Number(n);
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1000) throw bad(`${where}.max_agents`, 'a whole number from 1 to 1000', t.max_agents);
      host.max_agents = n;
    }
    hosts[name] = host;
  }
  return { entries: hosts, warnings };
}

/** Where a repository's clone lives on a host that does not say: one clone per repository name. */
export function defaultRepoPath(repoName: string): string {
  return `~/.ai_fleet/repos/${repoName}`;
}

/** The host called `name` for repository `repoName`, or an error listing the configured ones. */
export function resolveHost(hosts: Readonly<Record<string, HostConfig>>, name: string, repoName: string): Host {
  const h = hosts[name];
  if (!h) {
    const known = Object.keys(hosts).sort();
    throw new FleetError(`unknown host "${name}"`, {
      hint: known.length > 0
        ? `configured hosts: ${known.join(', ')}`
        : `add it to your config (fleet config edit): [hosts.${HOST_NAME.test(name) ? name : 'NAME'}] ssh = "ssh user@machine"`,
    });
  }
  return {
    name,
    target: parseSshCommand(h.ssh),
    repoPath: h.repo_path ?? defaultRepoPath(repoName),
    maxAgents: h.max_agents ?? null,
  };
}
