import { Command } from 'commander';
import { loadContext, type RepoContext } from '../context.js';
import { plural } from '../core/format.js';
import { sendPrompt } from '../ops/agent-session.js';
import { promptFromFlags } from '../ops/prompt-file.js';
import { UsageError } from '../errors.js';
import { withInterrupts } from '../process/interrupts.js';

export function promptCommand(): Command {
  return new Command('prompt')
    .description('send a follow-up to an agent, as typed input followed by Enter')
    .argument('<branch>', "the agent's branch")
    .argument('[text...]', 'what to send (words are joined with spaces; quote multi-line text)')
    .option('--prompt-file <file>', 'send the text of a file, byte for byte (- reads stdin)')
    .option('--no-enter', 'type the text without pressing Enter (not sent: review it in fleet attach)')
    .option('--wait [seconds]', `while the agent is starting or has a dialog open, wait for it to take input (default ${DEFAULT_WAIT_S} s) instead of refusing`)
    .option('--force', 'type even while the agent is starting or has a dialog open (the text may answer the dialog)')
    .addHelpText('after', `
An agent that reports its state (claude, codex, gemini, opencode) is not typed
into while it is starting (a trust or sign-in dialog may be up) or waiting on a
permission or question dialog: fleet prompt refuses and sends nothing.

Examples:
  fleet prompt fix-auth "Now run the tests and fix what fails"
  fleet prompt fix-auth --prompt-file review-notes.md
  fleet prompt fix-auth --wait 120 "Then update the changelog"`)
    .action(async (branch: string, words: string[], opts: { enter: boolean; promptFile?: string; force?: boolean; wait?: string | true }) => {
      // "--wait TEXT": the option took the first word of the text as its number.
      if (typeof opts.wait === 'string' && !/^\s*\d+(\.\d+)?\s*$/.test(opts.wait)) {
        words.unshift(opts.wait);
        opts.wait = true;
      }
      const wait = waitSeconds(opts.wait);
      if (words.length > 0 && opts.promptFile !== undefined) {
        throw new UsageError('give the text as arguments or with --prompt-file, not both', `e.g. fleet prompt ${branch} --prompt-file notes.md`);
      }
      const fromFile = await promptFromFlags({ promptFile: opts.promptFile }, { cwd: process.cwd() });
      if (!fromFile && words.length === 0) throw new UsageError('missing the text to send', `e.g. fleet prompt ${branch} "Now run the tests", or --prompt-file notes.md`);
      const ctx = await loadContext({ needRepo: true });
      await runPrompt(ctx, branch, fromFile?.text ?? words.join(' '), { enter: opts.enter, force: opts.force, wait });
    });
}

/** How long --wait waits when given without a number. */
export const DEFAULT_WAIT_S = 600;

/** --wait [SECONDS] as seconds (undefined: not given). */
export function waitSeconds(value: string | true | undefined, option = '--wait'): number | undefined {
  if (value === undefined) return undefined;
  if (value === true) return DEFAULT_WAIT_S;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${option} takes a number of seconds, not "${value}"`, `e.g. ${option} 120`);
  return n;
}

export async function runPrompt(ctx: RepoContext, branch: string, text: string, opts: { enter?: boolean; force?: boolean; wait?: number } = {}): Promise<void> {
  await withInterrupts((signal) => sendPrompt(ctx, branch, text, { ...opts, signal }));
  const chars = plural([...text].length, 'character'); // as a person counts them, not UTF-16 units
  if (opts.enter === false) ctx.ui.note(`typed ${chars} into ${branch}, not sent (no Enter): fleet attach ${branch} to send it`);
  else ctx.ui.note(`sent ${chars} to ${branch}`);
}
