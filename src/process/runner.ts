import fs from 'node:fs';
import { FleetError, InterruptedError } from '../errors.js';
import { firstLine } from '../core/format.js';

/** What every external command returns. Non-zero exits are data unless `reject` is set. */
export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  /** Always explicit for git: fleet never relies on the process's own cwd. */
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Written to the child's stdin (bytes as they are: a remote file's content). */
  input?: string | Uint8Array;
  /** Throw a CommandError on a non-zero exit (default true). */
  reject?: boolean;
  /** Kill the child when this fires. */
  signal?: AbortSignal;
  /** Keep trailing newlines (capture-pane, diff output). */
  keepTrailingNewline?: boolean;
  /** Append stdout and stderr to this file instead of capturing them (setup logs). */
  outputFile?: string;
  /** Start the child in its own process group (default: processGroups.own). */
  detached?: boolean;
}

/**
 * While `own` is set (fleet is handling SIGINT/SIGTERM itself), children start in their own
 * process group. A terminal's Ctrl+C goes to the whole foreground group; this way it reaches only
 * fleet, which stops and rolls back in order, instead of killing a git call half-way. With an
 * abort signal, aborting kills the child's whole group, so a setup command's children die too
 * (cancelSignal alone would only signal bash).
 */
export const processGroups = { own: false };

/** The seam every git/tmux/ps call goes through; tests may pass a scripted fake. */
export type Runner = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** A program exited non-zero. Carries argv, exit code and stderr. */
export class CommandError extends FleetError {
  readonly argv: readonly string[];
  readonly result: RunResult;

  constructor(argv: readonly string[], result: RunResult) {
    const detail = firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${result.exitCode}`;
    super(`${argv[0]} ${argv[1] ?? ''}`.trim() + ` failed: ${detail}`);
    this.name = 'CommandError';
    this.argv = argv;
    this.result = result;
  }
}

const INSTALL_HINTS: Record<string, string> = {
  tmux: 'install it: apt-get install tmux (Debian/Ubuntu), brew install tmux (macOS)',
  git: 'install it: apt-get install git (Debian/Ubuntu), brew install git (macOS)',
  ps: 'install it: apt-get install procps (Debian/Ubuntu)',
};

export function notFoundError(cmd: string): FleetError {
  return new FleetError(`${cmd} not found on PATH`, { hint: INSTALL_HINTS[cmd] ?? `install ${cmd} or add it to PATH` });
}

/** Counts and, with --verbose, logs every external call. */
export interface RunnerLog {
  verbose: boolean;
  calls: number;
  write: (line: string) => void;
}

export const runnerLog: RunnerLog = {
  verbose: false,
  calls: 0,
  write: (line) => process.stderr.write(line + '\n'),
};

function quoteForLog(a: string): string {
  if (a.length > 80) a = a.slice(0, 77) + '...';
  return /^[\w@%+=:,./=-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`).replace(/\n/g, '\\n')}'`;
}

/**
 * The one process runner: argv arrays only, never a shell string. A plain call (output
 * captured, no abort signal, no log file) is spawned with node:child_process directly: that
 * is every call `fleet list` makes, and loading execa alone (~17 ms) cost more than all of
 * list's own work. Calls that need execa's extras (cancelSignal, output appended to a file)
 * load it on first use, so commands that never spawn anything don't pay for it either.
 */
export const run: Runner = async (cmd, args, opts = {}) => {
  const started = performance.now();
  runnerLog.calls++;
  let result: RunResult;
  try {
    result = opts.signal || opts.outputFile ? await runWithExeca(cmd, args, opts) : await runPlain(cmd, args, opts);
  } finally {
    if (runnerLog.verbose) {
      const ms = (performance.now() - started).toFixed(0);
      runnerLog.write(`+ ${[cmd, ...args].map(quoteForLog).join(' ')}  (${ms} ms)`);
    }
  }
  if (opts.reject !== false && result.exitCode !== 0) throw new CommandError([cmd, ...args], result);
  return result;
};

/** Spawn, capture stdout and stderr whole (decoded once, so no character is split), resolve on close. */
async function runPlain(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const { spawn } = await import('node:child_process');
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(cmd, args as string[], {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: opts.detached ?? processGroups.own,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? notFoundError(cmd) : new FleetError(`could not run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (code === null) {
        reject(new FleetError(`could not run ${cmd}: it was killed by ${signal ?? 'a signal'}`));
        return;
      }
      const text = (chunks: Buffer[]) => {
        const s = Buffer.concat(chunks).toString('utf8');
        return opts.keepTrailingNewline ? s : s.replace(/\r?\n$/, '');
      };
      resolve({ stdout: text(out), stderr: text(err), exitCode: code });
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => undefined); // the child may exit without reading it all (EPIPE)
      child.stdin!.end(opts.input);
    }
  });
}

async function runWithExeca(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const { execa } = await import('execa');
  const detached = opts.detached ?? processGroups.own;
  let stopGroupKill: (() => void) | undefined;
  // The log file itself becomes the child's stdout and stderr (not a pipe fleet copies from): a
  // background job the command leaves running (a dev server a setup command starts) keeps a
  // pipe open, and fleet would wait for its end forever.
  const logFd = opts.outputFile ? fs.openSync(opts.outputFile, 'a', 0o600) : undefined;
  try {
    const sub = execa(cmd, args as string[], {
      cwd: opts.cwd,
      env: opts.env,
      extendEnv: true,
      input: opts.input,
      stdin: opts.input === undefined ? 'ignore' : undefined,
      reject: false,
      stripFinalNewline: !opts.keepTrailingNewline,
      // execa hands any integer to spawn as the child's own descriptor; its types list only 3-9.
      ...(logFd !== undefined ? { stdout: logFd as 3, stderr: logFd as 3 } : {}),
      cancelSignal: detached ? undefined : opts.signal,
      detached,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (detached && opts.signal) stopGroupKill = killGroupOnAbort(sub.pid, opts.signal);
    const child = await sub;
    if (child.failed && child.exitCode === undefined) {
      const code = (child as { code?: string }).code;
      if (code === 'ENOENT' || /ENOENT/.test(child.message ?? '')) throw notFoundError(cmd);
      if (child.isCanceled) throw new InterruptedError(`${cmd} was interrupted`);
      throw new FleetError(`could not run ${cmd}: ${child.shortMessage ?? child.message}`);
    }
    return { stdout: String(child.stdout ?? ''), stderr: String(child.stderr ?? ''), exitCode: child.exitCode ?? 1 };
  } finally {
    stopGroupKill?.();
    if (logFd !== undefined) fs.closeSync(logFd);
  }
}

/** On abort: SIGTERM to the child's process group, SIGKILL if it is still there 3 s later or once the child is reaped. */
function killGroupOnAbort(pid: number | undefined, signal: AbortSignal): () => void {
  let timer: NodeJS.Timeout | undefined;
  const kill = (sig: NodeJS.Signals) => {
    try {
      if (pid) process.kill(-pid, sig);
    } catch {
      // the group is already gone
    }
  };
  const onAbort = () => {
    kill('SIGTERM');
    timer = setTimeout(() => kill('SIGKILL'), 3000);
    timer.unref();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    signal.removeEventListener('abort', onAbort);
    clearTimeout(timer);
    // Stragglers that outlived their shell (a background job of a setup command).
    if (signal.aborted) kill('SIGKILL');
  };
}

/** Run with stdio inherited (attach, $EDITOR). Resolves to the exit code. */
export async function runInteractive(cmd: string, args: readonly string[], opts: { cwd?: string } = {}): Promise<number> {
  const { spawn } = await import('node:child_process');
  runnerLog.calls++;
  if (runnerLog.verbose) runnerLog.write(`+ ${[cmd, ...args].map(quoteForLog).join(' ')}  (interactive)`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args as string[], { stdio: 'inherit', cwd: opts.cwd });
    child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? notFoundError(cmd) : err));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 1 : 1)));
  });
}
