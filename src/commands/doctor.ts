import { Command } from 'commander';
import { FleetError } from '../errors.js';
import { loadContext, type Context } from '../context.js';
import { isProblem, type Check } from '../core/doctor-checks.js';
import { agentPrograms, checkHost, checkMachine, type HostReport } from '../ops/doctor.js';
import { run } from '../process/runner.js';
import { shJoin } from '../core/shell-words.js';

export interface DoctorOptions {
  host?: string;
  json?: boolean;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check that this machine (and a host) has what fleet needs, with the fix for anything missing')
    .option('--host <name>', 'also check this host from [hosts.NAME], over ssh')
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', `
Checks git (2.30 or newer), tmux (3.0 or newer), bash, ps and the programs of
your agent profiles (the default agent's is required). With --host: the ssh
connection, then the same checks on that host, in one ssh call. Exit status 1
when something needed is missing.

Examples:
  fleet doctor
  fleet doctor --host build1`)
    .action(async (opts: DoctorOptions) => {
      const ctx = await loadContext({ json: opts.json });
      await runDoctor(ctx, opts);
    });
}

const STATUS_WORD: Record<Check['status'], string> = { ok: 'ok', missing: 'MISSING', old: 'TOO OLD', optional: '-' };

function checkLine(c: Check, where: string | null): string {
  const fix = c.fix ? `; ${c.status === 'optional' ? 'install' : 'fix'}${where ? ` (on ${where})` : ''}: ${c.fix}` : '';
  return `  ${STATUS_WORD[c.status].padEnd(8)} ${c.name.padEnd(10)} ${c.detail}${fix}`;
}

export async function runDoctor(ctx: Context, opts: DoctorOptions): Promise<{ local: Check[]; host: HostReport | null }> {
  const agents = agentPrograms(ctx.config);
  const [local, host] = await Promise.all([checkMachine(run, agents), opts.host ? checkHost(ctx, opts.host, agents) : Promise.resolve(null)]);

  if (opts.json) {
    ctx.ui.out(JSON.stringify({
      ok: !local.some(isProblem) && (!host || (!host.error && !host.checks.some(isProblem))),
      local,
      hosts: host ? [{
        name: host.host.name,
        ssh: shJoin([host.host.target.program, ...host.host.target.options, host.host.target.destination]),
        reachable: !host.error,
        connect_ms: host.connectMs === null ? null : Math.round(host.connectMs),
        error: host.error?.message ?? null,
        checks: host.checks,
      }] : [],
    }, null, 2));
  } else {
    ctx.ui.out(['this machine', ...local.map((c) => checkLine(c, null))].join('\n'));
    if (host) {
      const sshLine = shJoin([host.host.target.program, ...host.host.target.options, host.host.target.destination]);
      const lines = [`host "${host.host.name}" (${sshLine})`];
      if (host.error) lines.push(`  ${'FAILED'.padEnd(8)} ${'ssh'.padEnd(10)} ${host.error.sshMessage}`);
      else lines.push(`  ${'ok'.padEnd(8)} ${'ssh'.padEnd(10)} connected and ran the checks in ${Math.round(host.connectMs!)} ms`);
      lines.push(...host.checks.map((c) => checkLine(c, host.host.name)));
      ctx.ui.out(lines.join('\n'));
    } else {
      const names = Object.keys(ctx.config.hosts).sort();
      if (names.length > 0) ctx.ui.note(`hosts in your config: ${names.join(', ')} (check one with: fleet doctor --host ${names[0]})`);
    }
  }

  if (host?.error) {
    const t = host.host.target;
    throw new FleetError(host.error.message, {
      hint: `try the same ssh by hand (add -v to see why): ${shJoin([t.program, ...t.options, t.destination, 'true'])}`,
    });
  }
  const problems = [
    ...local.filter(isProblem).map((c) => `${c.name} ${c.status === 'old' ? 'too old' : 'missing'} here`),
    ...(host?.checks ?? []).filter(isProblem).map((c) => `${c.name} ${c.status === 'old' ? 'too old' : 'missing'} on "${host!.host.name}"`),
  ];
  if (problems.length > 0) {
    throw new FleetError(`${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}: ${problems.join(', ')}`, {
      hint: 'run the fix shown on each line above, then fleet doctor again',
    });
  }
  if (!opts.json) ctx.ui.note('everything fleet needs is there');
  return { local, host };
}
