import type { Context } from '../context.js';
import { runInteractive } from '../process/runner.js';
import type { AgentRecord } from '../state/types.js';
import { openWindow, sessionTarget } from '../tmux/sessions.js';
import { recordPlace } from './host-place.js';
import { remoteCommandLine } from './shell-quote.js';
import { sshArgv } from './ssh-command.js';

/** The local argv that attaches a terminal to the agent's session on its host: ssh -t … tmux attach-session -t =NAME. */
export function hostAttachArgv(ctx: Context, record: AgentRecord): [string, string[]] {
  const place = recordPlace(ctx, record);
  // Not in BatchMode: attach is the one call that may ask for a password or passphrase.
  return sshArgv(place.host.target, place.policy, remoteCommandLine(['tmux', 'attach-session', '-t', sessionTarget(record.session)]), { tty: true, batch: false });
}

/**
 * Attach: this terminal to the host's session; inside tmux, a new local window running that
 * ssh (switch-client cannot reach another machine's tmux server).
 */
export async function attachOnHost(ctx: Context, record: AgentRecord, insideTmux: boolean): Promise<number> {
  const [program, args] = hostAttachArgv(ctx, record);
  if (insideTmux) {
    await openWindow(ctx.run, `${record.host}:${record.branch}`, [program, ...args]);
    return 0;
  }
  return runInteractive(program, args);
}
