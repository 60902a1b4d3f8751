/** Where commands print. Colour and spinners only on a terminal, never with --json. */
export interface Ui {
  /** stdout: data and results. */
  out(text: string): void;
  /** stderr: progress, notes. */
  note(text: string): void;
  warn(text: string): void;
  isTTY: boolean;
  color: boolean;
  /** Progress may redraw lines in place (stdout and stderr are terminals that can move the cursor). */
  liveProgress: boolean;
}

export function makeUi(opts: { json?: boolean; env: NodeJS.ProcessEnv }): Ui {
  const isTTY = Boolean(process.stdout.isTTY) && !opts.json;
  const color = useColor(process.stderr.isTTY, opts.env);
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    note: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    warn: (t) => process.stderr.write(`${paint('warning:', 'yellow', color)} ${t}\n`),
    isTTY,
    color: isTTY && useColor(true, opts.env),
    liveProgress: isTTY && Boolean(process.stderr.isTTY) && opts.env.TERM !== 'dumb',
  };
}

export function useColor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return Boolean(isTTY) && env.TERM !== 'dumb';
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type Colour = keyof typeof CODES;

export function paint(text: string, colour: Colour, enabled: boolean): string {
  return enabled ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

/**
 * Fires when stdout's reader has gone away (EPIPE: `fleet logs x --follow | head`), so a
 * command that runs until stopped ends quietly instead of dying on an unhandled write error.
 * Call dispose() when done.
 */
export function stdoutClosed(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') controller.abort();
    else throw e;
  };
  process.stdout.on('error', onError);
  return { signal: controller.signal, dispose: () => process.stdout.off('error', onError) };
}
