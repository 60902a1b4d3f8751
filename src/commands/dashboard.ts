import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { baseContext } from '../context.js';

export interface DashboardOptions {
  port?: string;
  host: string;
  allowRemote?: boolean;
  open: boolean;
  all?: boolean;
}

export function dashboardCommand(): Command {
  return new Command('dashboard')
    .description('every agent live in a browser: screens, follow-ups, diffs, kill, pick and new agents')
    .option('--port <n>', 'port to listen on (default: any free one)')
    .option('--host <address>', 'address to listen on (loopback only, unless --allow-remote)', '127.0.0.1')
    .option('--allow-remote', 'allow a --host that is not loopback (plain HTTP: the token can be seen on the network)')
    .option('--no-open', 'do not open a browser, only print the URL')
    .option('--all', 'agents of every repository')
    .addHelpText('after', `
Prints the URL (with a secret token) and opens it in the browser; runs until
Ctrl+C. The page can type into agents, so treat the URL like a password: the
token is exchanged for an HttpOnly cookie, requests naming another host or
coming from another site are refused.

Examples:
  fleet dashboard
  fleet dashboard --all --no-open
  fleet dashboard --port 8765`)
    .action(async (opts: DashboardOptions) => {
      await runDashboardCommand(opts);
    });
}

export function parsePort(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n > 65535) {
    throw new UsageError(`--port "${raw}" is not a port number`, 'a number from 1 to 65535, or 0 for any free port');
  }
  return n;
}

export async function runDashboardCommand(opts: DashboardOptions): Promise<void> {
  const port = parsePort(opts.port);
  // The server, its page and the adapter load only here: no other command pays for them.
  const { runDashboard } = await import('../web/run.js');
  await runDashboard(baseContext(), { port, host: opts.host, allowRemote: Boolean(opts.allowRemote), open: opts.open, all: Boolean(opts.all) });
}
