/**
 * The one error type commands throw. Only cli.ts turns it into output and an exit code.
 * `message` becomes `error: …`, `hint` becomes `hint: …`.
 */
export class FleetError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(message: string, opts: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FleetError';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** Bad arguments: exit status 2. */
export class UsageError extends FleetError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: 2 });
    this.name = 'UsageError';
  }
}

/** The user pressed Ctrl+C (or we got SIGTERM): exit status 130. */
export class InterruptedError extends FleetError {
  constructor(message = 'interrupted') {
    super(message, { exitCode: 130 });
    this.name = 'InterruptedError';
  }
}

export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;
