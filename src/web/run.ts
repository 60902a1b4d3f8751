/** `fleet dashboard`, once the command line is checked: serve until Ctrl+C, then stop in order. */
import fs from 'node:fs';
import path from 'node:path';
import { InterruptedError } from '../errors.js';
import { processGroups } from '../process/runner.js';
import type { BaseContext } from '../context.js';
import { tildify } from '../core/format.js';
import { openFleetOps } from './fleet-ops.js';
import { startDashboard } from './server.js';
import { checkListenHost, isLoopback } from './security.js';
import { openInBrowser, writeRedirectFile } from './browser.js';

export interface DashboardCommandOptions {
  port: number;
  host: string;
  allowRemote: boolean;
  open: boolean;
  all: boolean;
}

export async function runDashboard(base: BaseContext, opts: DashboardCommandOptions): Promise<never> {
  const io = base.ui;
  const host = checkListenHost(opts.host, opts.allowRemote);
  // Children in their own process groups: Ctrl+C reaches the dashboard only, which then ends
  // what it started in order (a create in progress is rolled back, not cut in half).
  processGroups.own = true;
  const ops = await openFleetOps({ all: opts.all, base });
  const dash = await startDashboard(ops, { host, port: opts.port });

  let redirect: string | null = null;
  let stopping = 0;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = () => {
      stopping++;
      if (stopping === 1) resolve();
      else io.note('still stopping: waiting for the actions in progress to finish or roll back…');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  try {
    io.out(dash.url);
    const scope = ops.all ? 'every repository' : tildify(ops.repo!.root, base.env.HOME);
    if (!isLoopback(host)) io.note(`warning: listening on ${host}: plain HTTP, so anyone who can watch the network can take the token`);
    if (opts.open) {
      redirect = writeRedirectFile(path.join(base.configs.home, 'run'), dash.port, dash.url);
      const problem = await openInBrowser(redirect);
      io.note(problem ? `note: could not open a browser (${problem}); open the URL above` : 'opened in your browser');
    }
    io.note(`the dashboard shows the agents of ${scope}; the URL is a password: keep it to yourself. Ctrl+C stops it`);
    await stopped;
    io.note('stopping…');
  } finally {
    await dash.close();
    if (redirect) fs.rmSync(redirect, { force: true });
  }
  throw new InterruptedError('interrupted; the dashboard stopped');
}
