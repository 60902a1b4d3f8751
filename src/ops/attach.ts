import { FleetError } from '../errors.js';
import type { RepoContext } from '../context.js';
import { findAgent } from './find.js';
import { agentRunner } from './agent-session.js';
import { sessionGoneHint } from './kill-agent.js';
import { attach, hasSession } from '../tmux/sessions.js';

/** This terminal onto the agent's tmux session (here, or on its host); returns when it detaches. */
export async function runAttach(ctx: RepoContext, branch: string): Promise<void> {
  const record = await findAgent(ctx, branch);
  // Check first: a bare `tmux attach` to a missing session can look like it worked.
  const run = await agentRunner(ctx, record);
  if (!(await hasSession(run, record.session))) {
    throw new FleetError(`the tmux session of "${branch}" is gone`, { hint: await sessionGoneHint(ctx, record) });
  }
  const inside = Boolean(ctx.env.TMUX);
  if (!inside && !process.stdin.isTTY) {
    throw new FleetError('attach needs a terminal', { hint: `fleet logs ${branch} prints its screen instead` });
  }
  if (record.host) {
    const { attachOnHost } = await import('../remote/host-attach.js');
    const code = await attachOnHost(ctx, record, inside);
    if (code !== 0) throw new FleetError(`ssh to host "${record.host}" exited with status ${code}`, { hint: `fleet doctor --host ${record.host}` });
    return;
  }
  const code = await attach(ctx.run, record.session, inside);
  if (code !== 0) throw new FleetError(`tmux attach exited with status ${code}`);
}
