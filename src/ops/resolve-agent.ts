import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import type { Context } from '../context.js';
import { installHintFor, resolveProfile, type AgentProfile } from '../core/profiles.js';
import { resolveHost } from '../config/hosts.js';

/**
 * The agent profile `name` (default_agent when absent), its program checked to exist before
 * anything is made. For agents that all run on hosts (onHostsOnly) the program is the host's
 * business: this machine need not have it (fleet doctor --host checks it there).
 */
export function resolveAgent(ctx: Context, name: string | undefined, opts: { onHostsOnly?: boolean } = {}): AgentProfile {
  const profile = resolveProfile(ctx.config, name ?? ctx.config.default_agent);
  if (!opts.onHostsOnly) ensureExecutable(profile.argv[0]!, profile.name, ctx.env.PATH ?? '');
  return profile;
}

/** --host NAME checked against the user's config ("local" is this machine): the name, or null for local. */
export function checkHostName(ctx: Context, name: string | undefined): string | null {
  if (name === undefined || name === 'local') return null;
  resolveHost(ctx.config.hosts, name, '');
  return name;
}

/** Is `cmd` runnable (a path, or a name found on PATH)? No process is started to find out. */
export function findExecutable(cmd: string, envPath: string): string | null {
  const candidates = cmd.includes('/') ? [path.resolve(cmd)] : envPath.split(path.delimiter).filter(Boolean).map((d) => path.join(d, cmd));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // not here
    }
  }
  return null;
}

export function ensureExecutable(cmd: string, profile: string, envPath: string): void {
  if (findExecutable(cmd, envPath)) return;
  const install = installHintFor(cmd);
  throw new FleetError(`"${cmd}" (agent profile "${profile}") not found on PATH`, {
    hint: `${install ? `install it (${install}), or ` : ''}pick another agent: --agent shell, or set default_agent with fleet config set default_agent NAME`,
  });
}
