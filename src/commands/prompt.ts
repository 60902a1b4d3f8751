import { Command } from 'commander';
import { FleetError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { agentFacts } from '../core/profiles.js';
import { findAgent, livePane } from '../ops/find.js';
import { sendText } from '../tmux/sessions.js';

export function promptCommand(): Command {
  return new Command('prompt')
    .description('send a follow-up to an agent, as typed input followed by Enter')
    .argument('<branch>', "the agent's branch")
    .argument('<text...>', 'what to send (words are joined with spaces; quote multi-line text)')
    .option('--no-enter', 'paste the text without pressing Enter')
    .addHelpText('after', `
Examples:
  fleet prompt fix-auth "Now run the tests and fix what fails"
  fleet prompt fix-auth "$(cat review-notes.md)"`)
    .action(async (branch: string, words: string[], opts: { enter: boolean }) => {
      const ctx = await loadContext({ needRepo: true });
      await runPrompt(ctx, branch, words.join(' '), opts);
    });
}

export async function runPrompt(ctx: RepoContext, branch: string, text: string, opts: { enter?: boolean } = {}): Promise<void> {
  const record = await findAgent(ctx, branch);
  if (text.trim() === '') throw new FleetError('the prompt is empty', { hint: `fleet prompt ${branch} "what to do next"` });
  await livePane(ctx, branch, record.session, 'take input');
  await sendText(ctx.run, record.session, text, { enter: opts.enter !== false, enterDelayMs: agentFacts(record.agent).enterDelayMs });
  ctx.ui.note(`sent ${text.length} characters to ${branch}`);
}

