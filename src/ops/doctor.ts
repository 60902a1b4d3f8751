import type { Context } from '../context.js';
import { profileNames, resolveProfile } from '../core/profiles.js';
import { resolveHost, type Host } from '../config/hosts.js';
import { BASE_TOOLS, PROBE_SCRIPT, evaluate, parseProbe, type AgentProgram, type Check } from '../core/doctor-checks.js';
import type { Runner } from '../process/runner.js';
import { controlDir } from '../remote/control-dir.js';
import { HostUnreachableError, remoteRunner } from '../remote/remote-runner.js';
import { DEFAULT_POLICY } from '../remote/ssh-command.js';

/** The agent programs of the configured profiles: the default agent's is required. */
export function agentPrograms(config: Context['config']): AgentProgram[] {
  return profileNames(config)
    .map((name) => ({ name, argv: resolveProfile(config, name).argv }))
    .filter((p) => p.name !== 'shell' || config.default_agent === 'shell')
    .map((p) => ({ profile: p.name, program: p.argv[0]!, required: p.name === config.default_agent }))
    .sort((a, b) => Number(b.required) - Number(a.required));
}

/** Probe one machine with one command (sh locally, one ssh call on a host) and judge it. */
export async function checkMachine(run: Runner, agents: readonly AgentProgram[]): Promise<Check[]> {
  const names = [...new Set([...BASE_TOOLS.map((t) => t.name), ...agents.map((a) => a.program), 'npm'])];
  const r = await run('sh', ['-c', PROBE_SCRIPT, 'fleet-doctor', ...names]);
  return evaluate(parseProbe(r.stdout), agents);
}

export interface HostReport {
  host: Host;
  /** How long the first call took (it opens the connection), or null when ssh failed. */
  connectMs: number | null;
  /** ssh's failure, when it failed. */
  error: HostUnreachableError | null;
  checks: Check[];
}

/** Check a configured host over ssh: the connection first, then every program, in one call. */
export async function checkHost(ctx: Context, name: string, agents: readonly AgentProgram[]): Promise<HostReport> {
  const host = resolveHost(ctx.config.hosts, name, ctx.repo?.name ?? '');
  const run = remoteRunner(host, { policy: { ...DEFAULT_POLICY, controlDir: controlDir(ctx.configs.home) }, timeoutMs: 30_000 });
  const started = performance.now();
  try {
    const checks = await checkMachine(run, agents);
    return { host, connectMs: performance.now() - started, error: null, checks };
  } catch (e) {
    if (e instanceof HostUnreachableError) return { host, connectMs: null, error: e, checks: [] };
    throw e;
  }
}
