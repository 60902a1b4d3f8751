import { Command } from 'commander';
import { FleetError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { findAgent } from '../ops/find.js';
import { agentRunner } from '../ops/agent-session.js';
import { sessionGoneHint } from '../ops/kill-agent.js';
import { attach, hasSession } from '../tmux/sessions.js';

export function attachCommand(): Command {
  return new Command('attach')
    .description("attach this terminal to the agent's tmux session (switch-client inside tmux)")
    .argument('<branch>', "the agent's branch")
    .addHelpText('after', `
Detach again with the tmux prefix key then d (usually Ctrl+b d); the agent
keeps running.

Example:
  fleet attach fix-auth`)
    .action(async (branch: string) => {
      const ctx = await loadContext({ needRepo: true });
      await runAttach(ctx, branch);
    });
}

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
