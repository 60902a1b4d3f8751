import { Command } from 'commander';
import { loadContext } from '../context.js';
import { runAttach } from '../ops/attach.js';

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
