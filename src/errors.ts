/**
 * The errors commands throw. Only main.ts turns them into output and an exit code.
 * `message` becomes `error: …`, `hint` becomes `hint: …`. Callers branch on the class, never on
 * the wording of a message.
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

/** The user pressed Ctrl+C (or we got SIGTERM), or a call was cancelled by it: exit status 130. */
export class InterruptedError extends FleetError {
  constructor(message = 'interrupted', opts: { hint?: string } = {}) {
    super(message, { hint: opts.hint, exitCode: 130 });
    this.name = 'InterruptedError';
  }
}

/**
 * The user stopped a command that runs until stopped (`list --watch`, `logs --follow`) with
 * Ctrl+C or SIGTERM: nothing went wrong, so nothing is printed, but the exit status is 130.
 */
export class StoppedError extends InterruptedError {
  constructor() {
    super('stopped');
    this.name = 'StoppedError';
  }
}

/**
 * Something already stands where fleet would make a thing: an agent on the branch, a tmux
 * session, a worktree or directory, a branch checked out elsewhere. Nothing was made.
 */
export class ConflictError extends FleetError {
  constructor(message: string, hint?: string) {
    super(message, { hint });
    this.name = 'ConflictError';
  }
}

/**
 * A worktree holds unsaved work, so fleet keeps it: `paths` are the changed files, `commits`
 * the commits only its detached HEAD holds.
 */
export class UncommittedWorkError extends FleetError {
  readonly paths: readonly string[];
  readonly commits: readonly string[];

  constructor(message: string, paths: readonly string[], hint?: string, commits: readonly string[] = []) {
    super(message, { hint });
    this.name = 'UncommittedWorkError';
    this.paths = paths;
    this.commits = commits;
  }
}

/** Any thrown value as a FleetError: itself when it is one, else its message (and it as the cause). */
export function toFleetError(e: unknown): FleetError {
  if (e instanceof FleetError) return e;
  return new FleetError(e instanceof Error ? e.message : String(e), { cause: e });
}
