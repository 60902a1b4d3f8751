import fs from 'node:fs';
import path from 'node:path';
import { FleetError, UsageError } from '../errors.js';

/** `--prompt TEXT` and `--prompt-file FILE` as commands take them. */
export interface PromptFlags {
  prompt?: string;
  promptFile?: string;
}

/** The prompt text, and the file it came from when it came from a file (for a retry hint; null for stdin). */
export interface PromptText {
  text: string;
  file: string | null;
}

/**
 * The prompt given by `--prompt TEXT` or `--prompt-file FILE` (`-` reads stdin), or null when
 * neither was given. A file is read byte for byte — a trailing newline stays, unlike `$(cat f)` —
 * and must be UTF-8 text without a NUL byte (no program can receive one in an argument).
 */
export async function promptFromFlags(flags: PromptFlags, opts: { cwd: string; stdin?: NodeJS.ReadableStream }): Promise<PromptText | null> {
  if (flags.promptFile === undefined) return flags.prompt === undefined ? null : { text: flags.prompt, file: null };
  if (flags.prompt !== undefined) {
    throw new UsageError('--prompt and --prompt-file cannot be used together', 'give the prompt one way: --prompt TEXT, or --prompt-file FILE (- for stdin)');
  }
  const spec = flags.promptFile;
  const fromStdin = spec === '-';
  const shown = fromStdin ? 'stdin' : `--prompt-file "${spec}"`;
  let bytes: Buffer;
  if (fromStdin) {
    bytes = await readAll(opts.stdin ?? process.stdin);
  } else {
    try {
      bytes = fs.readFileSync(path.resolve(opts.cwd, spec));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
      throw new FleetError(`cannot read ${shown}: ${why}`, { hint: 'give the path of a text file, or - to read the prompt from stdin' });
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new FleetError(`the prompt in ${shown} is not UTF-8 text`, { hint: 'convert it, e.g. iconv -f latin1 -t utf-8' });
  }
  if (text.includes('\0')) throw new FleetError(`the prompt in ${shown} contains a NUL byte, which no program can receive in an argument`);
  if (text.trim() === '') throw new UsageError(`the prompt in ${shown} is empty`, fromStdin ? 'pipe the prompt in, e.g. fleet create fix-auth --prompt-file - < task.md' : `write the prompt into ${spec}`);
  return { text, file: fromStdin ? null : path.resolve(opts.cwd, spec) };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
