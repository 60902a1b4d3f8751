import { Command } from 'commander';
import { loadContext, type RepoContext } from '../context.js';
import { plural } from '../core/format.js';
import { sendPrompt } from '../ops/agent-session.js';
import { promptFromFlags } from '../ops/prompt-file.js';
import { UsageError } from '../errors.js';

export function promptCommand(): Command {
  return new Command('prompt')
    .description('send a follow-up to an agent, as typed input followed by Enter')
    .argument('<branch>', "the agent's branch")
    .argument('[text...]', 'what to send (words are joined with spaces; quote multi-line text)')
    .option('--prompt-file <file>', 'send the text of a file, byte for byte (- reads stdin)')
    .option('--no-enter', 'type the text without pressing Enter (not sent: review it in fleet attach)')
    .addHelpText('after', `
Examples:
  fleet prompt fix-auth "Now run the tests and fix what fails"
  fleet prompt fix-auth --prompt-file review-notes.md`)
    .action(async (branch: string, words: string[], opts: { enter: boolean; promptFile?: string }) => {
      if (words.length > 0 && opts.promptFile !== undefined) {
        throw new UsageError('give the text as arguments or with --prompt-file, not both', `e.g. fleet prompt ${branch} --prompt-file notes.md`);
      }
      const fromFile = await promptFromFlags({ promptFile: opts.promptFile }, { cwd: process.cwd() });
      if (!fromFile && words.length === 0) throw new UsageError('missing the text to send', `e.g. fleet prompt ${branch} "Now run the tests", or --prompt-file notes.md`);
      const ctx = await loadContext({ needRepo: true });
      await runPrompt(ctx, branch, fromFile?.text ?? words.join(' '), opts);
    });
}

export async function runPrompt(ctx: RepoContext, branch: string, text: string, opts: { enter?: boolean } = {}): Promise<void> {
  await sendPrompt(ctx, branch, text, opts);
  const chars = plural([...text].length, 'character'); // as a person counts them, not UTF-16 units
  if (opts.enter === false) ctx.ui.note(`typed ${chars} into ${branch}, not sent (no Enter): fleet attach ${branch} to send it`);
  else ctx.ui.note(`sent ${chars} to ${branch}`);
}
