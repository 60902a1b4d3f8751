import { FleetError } from '../errors.js';
import { firstLine } from '../core/format.js';
import fs from 'node:fs';
import { CommandError, notFoundError, processGroups, runnerLog, type RunResult, type Runner } from '../process/runner.js';
import { shJoin } from '../core/shell-words.js';
import { ENV_BOOTSTRAP, envLine, remoteCommandLine } from './shell-quote.js';
import { sshArgv, type ConnectionPolicy, type SshTarget } from './ssh-command.js';

/** The part of a host a runner needs: its name (for messages) and its ssh command. */
export interface RemoteHost {
  name: string;
  target: SshTarget;
}

export interface RemoteRunnerOptions {
  policy: ConnectionPolicy;
  /** What starts ssh locally (default sshSpawn; tests wrap it to see the argv). */
  local?: Runner;
  /** Every call gives up after this long: "host NAME did not answer within N s". 0 = no bound. */
  timeoutMs?: number;
  /**
   * Calls in flight at once. All of them share one connection, and sshd allows 10 sessions on
   * one connection (MaxSessions): the 11th would fail with "Session open refused by peer".
   */
  maxInFlight?: number;
  /**
   * The first-call gate and in-flight limit, shared by every runner of one host (a quick one
   * for list, a patient one for the rest): they ride the same connection, so they must queue
   * together. Default: the runner's own.
   */
  gate?: RemoteGate;
}

/** One host's first-call gate and in-flight limit (see remoteRunner). */
export interface RemoteGate {
  limit: number;
  inFlight: number;
  waiting: Array<() => void>;
  first: Promise<unknown> | null;
}

export function remoteGate(maxInFlight = 8): RemoteGate {
  return { limit: Math.max(1, maxInFlight), inFlight: 0, waiting: [], first: null };
}

/**
 * ssh itself failed (exit 255): the host is unreachable, refuses the login, or the like. A remote
 * command exiting 255 would read the same (ssh cannot tell them apart); none of fleet's do.
 */
export class HostUnreachableError extends FleetError {
  constructor(readonly host: string, readonly sshMessage: string, hint: string) {
    super(`host "${host}": ${sshMessage}`, { hint });
    this.name = 'HostUnreachableError';
  }
}

/** The call did not finish within the runner's bound. */
export class HostTimeoutError extends FleetError {
  constructor(readonly host: string, seconds: number) {
    super(`host "${host}" did not answer within ${seconds} s`, { hint: `is it up? check it with: fleet doctor --host ${host}` });
    this.name = 'HostTimeoutError';
  }
}

/** The message ssh printed about its own failure: its last line that is not a banner or warning. */
function sshMessage(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? 'ssh failed without a message (exit 255)';
}

function unreachableHint(host: RemoteHost, msg: string): string {
  const check = `check it with: fleet doctor --host ${host.name}`;
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(msg)) {
    return `connect once by hand to check and accept its host key: ${shJoin([host.target.program, ...host.target.options, host.target.destination])} true; then ${check}`;
  }
  if (/Permission denied/i.test(msg)) {
    return `fleet logs in without prompts (BatchMode): set up key login (ssh-copy-id ${host.target.destination}) or an ssh-agent; then ${check}`;
  }
  return check;
}

/** Is this exit the remote shell saying `cmd` does not exist (not a program that cmd ran)? */
function isCommandNotFound(cmd: string, r: RunResult): boolean {
  if (r.exitCode !== 127) return false;
  const name = cmd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // bash: "bash: line 1: tmux: command not found"; dash: "sh: 1: tmux: not found";
  // exec in sh: "fleet-run: 1: exec: tmux: not found"; zsh: "zsh:1: command not found: tmux".
  return new RegExp(`(^|[\\s:])${name}: (command )?not found|command not found: ${name}\\s*$`, 'm').test(r.stderr);
}

/** A command failed on the host: like CommandError, with the host in the message. */
export class RemoteCommandError extends CommandError {
  constructor(readonly host: string, argv: readonly string[], result: RunResult) {
    super(argv, result);
    const detail = firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${result.exitCode}`;
    this.message = `${argv[0]} ${argv[1] ?? ''}`.trim() + ` failed on host "${host}": ${detail}`;
    this.name = 'RemoteCommandError';
  }
}

/**
 * A Runner that runs argv on a remote host: the same `(cmd, args, opts)` as the local one, so
 * git and tmux managers work unchanged on a host. Each call is one ssh (riding the host's
 * control master after the first), whose remote command line quotes every word. opts.env never
 * goes on a command line (ps shows argv on both ends, and env may hold secrets): it travels as
 * the first line of stdin, read and eval'd by a fixed bootstrap, before opts.input.
 */
export function remoteRunner(host: RemoteHost, options: RemoteRunnerOptions): Runner {
  const local = options.local ?? sshSpawn;
  const gate = options.gate ?? remoteGate(options.maxInFlight);
  const acquire = async () => {
    if (gate.inFlight >= gate.limit) await new Promise<void>((resolve) => gate.waiting.push(resolve));
    gate.inFlight++;
  };
  const release = () => {
    gate.inFlight--;
    gate.waiting.shift()?.();
  };
  // The first call goes alone: with no master yet, parallel calls would each open a full
  // connection (ControlMaster=auto lets one win the socket, the rest connect on their own) and
  // a burst of them runs into sshd's MaxStartups. After it, every call rides its master.

  return async (cmd, given, opts = {}) => {
    // A non-interactive ssh session often has no UTF-8 locale (no LANG), and tmux then prints
    // control characters (fleet's field separator) and non-ASCII text of its formats as "_":
    // -u tells it the output is UTF-8, whatever the locale.
    const args = cmd === 'tmux' ? ['-u', ...given] : given;
    const env = Object.fromEntries(Object.entries(opts.env ?? {}).filter((e): e is [string, string] => e[1] !== undefined));
    let remote: string;
    let input = opts.input;
    if (Object.keys(env).length > 0) {
      remote = shJoin(['sh', '-c', ENV_BOOTSTRAP, 'fleet-run', opts.cwd ?? '', cmd, ...args]);
      const head = Buffer.from(envLine(env) + '\n');
      input = input === undefined ? head : Buffer.concat([head, typeof input === 'string' ? Buffer.from(input) : input]);
    } else {
      remote = remoteCommandLine([cmd, ...args], opts.cwd);
    }
    const [program, sshArgs] = sshArgv(host.target, options.policy, remote);

    const timeoutMs = options.timeoutMs ?? 0;
    const timer = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const signal = timer && opts.signal ? AbortSignal.any([timer, opts.signal]) : (timer ?? opts.signal);

    const start = () =>
      local(program, sshArgs, {
        input,
        reject: false,
        signal,
        keepTrailingNewline: opts.keepTrailingNewline,
        outputFile: opts.outputFile,
        detached: opts.detached,
      });
    let r: RunResult;
    try {
      if (gate.first === null) {
        const call = start();
        gate.first = call.catch(() => undefined);
        r = await call;
      } else {
        await gate.first;
        await acquire();
        try {
          r = await start();
        } finally {
          release();
        }
      }
    } catch (e) {
      if (timer?.aborted && !opts.signal?.aborted) throw new HostTimeoutError(host.name, Math.round(timeoutMs / 1000));
      throw e;
    }
    if (timer?.aborted && !opts.signal?.aborted) throw new HostTimeoutError(host.name, Math.round(timeoutMs / 1000));
    if (r.exitCode === 255) {
      const msg = sshMessage(r.stderr);
      throw new HostUnreachableError(host.name, msg, unreachableHint(host, msg));
    }
    if (isCommandNotFound(cmd, r)) {
      const local = notFoundError(cmd);
      throw new FleetError(`${cmd} not found on host "${host.name}"`, {
        hint: `${local.hint ?? `install ${cmd} there`} (on ${host.name}); fleet doctor --host ${host.name} checks everything fleet needs`,
      });
    }
    if (opts.reject !== false && r.exitCode !== 0) throw new RemoteCommandError(host.name, [cmd, ...args], r);
    return r;
  };
}

/**
 * Start ssh locally: the local runner's plain spawn, except for what an abort does. A
 * multiplexed ssh hands its stdin/stdout/stderr to the control master, which keeps writing to
 * them until the remote command ends: killing the client alone would leave the caller waiting
 * on pipes for as long as the remote command runs. So an abort (timeout or Ctrl+C) kills the
 * client, drops the pipes and settles at once; the remote command is left to end on its own
 * (it loses its output channel when the master notices).
 */
export const sshSpawn: Runner = async (cmd, args, opts = {}) => {
  const { spawn } = await import('node:child_process');
  const started = performance.now();
  runnerLog.calls++;
  const log = (what: string) => {
    // Each word cut at 80 characters, as the local runner logs: a remote script is long.
    const shown = [cmd, ...args].map((a) => (a.length > 80 ? a.slice(0, 77) + '...' : a));
    if (runnerLog.verbose) runnerLog.write(`+ ${shJoin(shown).replace(/\n/g, '\\n')}  (${what})`);
  };
  return new Promise<RunResult>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new FleetError(`${cmd} was interrupted`, { exitCode: 130 }));
      return;
    }
    const fd = opts.outputFile ? fs.openSync(opts.outputFile, 'a') : null;
    const child = spawn(cmd, args as string[], {
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', fd ?? 'pipe', fd ?? 'pipe'],
      detached: opts.detached ?? processGroups.own,
    });
    if (fd !== null) fs.closeSync(fd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      log(`${(performance.now() - started).toFixed(0)} ms`);
      f();
    };
    const onAbort = () => {
      child.kill('SIGTERM');
      child.stdout?.destroy();
      child.stderr?.destroy();
      settle(() => reject(new FleetError(`${cmd} was interrupted`, { exitCode: 130 })));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      settle(() => reject(e.code === 'ENOENT' ? notFoundError(cmd) : new FleetError(`could not run ${cmd}: ${e.message}`)));
    });
    child.on('close', (code, sig) => {
      settle(() => {
        if (code === null) {
          reject(new FleetError(`could not run ${cmd}: it was killed by ${sig ?? 'a signal'}`));
          return;
        }
        const text = (chunks: Buffer[]) => {
          const t = Buffer.concat(chunks).toString('utf8');
          return opts.keepTrailingNewline ? t : t.replace(/\r?\n$/, '');
        };
        resolve({ stdout: text(out), stderr: text(err), exitCode: code });
      });
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => undefined); // ssh may exit without reading it all (EPIPE)
      child.stdin!.end(opts.input);
    }
  });
};

/**
 * Write `content` to `file` on the host, mode `mode`, through ssh's stdin: the bytes never
 * appear on a command line. The file is made in a fresh mktemp file (0600 from the first byte,
 * umask 077), then renamed over `file`, so a symlink planted at `file` is replaced, not
 * followed. With `within`, every directory between it and the file must be a real directory,
 * not a symlink (a hostile repository could commit `config -> ~/.ssh`).
 */
export async function writeRemoteFile(
  run: Runner,
  file: string,
  content: string | Uint8Array,
  opts: { mode?: number; within?: string; refuseLink?: boolean; unlessSame?: boolean } = {},
): Promise<void> {
  if (!file.startsWith('/')) throw new Error(`writeRemoteFile: path must be absolute, got "${file}"`);
  if (opts.within !== undefined && !(file === opts.within || file.startsWith(opts.within.replace(/\/+$/, '') + '/'))) {
    throw new FleetError(`refusing to write ${file}: it is outside ${opts.within}`);
  }
  const mode = (opts.mode ?? 0o600).toString(8);
  await run('sh', ['-c', WRITE_FILE_SCRIPT, 'fleet-write', file, mode, opts.within ?? '', opts.refuseLink ? '1' : '', opts.unlessSame ? '1' : ''], { input: content });
}

/** Exit status of writeRemoteFile's script when it refused (what is in the way is on its stderr). */
export const WRITE_REFUSED = 3;

const WRITE_FILE_SCRIPT = [
  'set -euf',
  'f=$1; mode=$2; root=${3%/}; keep=$4; same=${5-}',
  'd=$(dirname -- "$f")',
  'umask 077',
  'if [ -n "$root" ]; then',
  '  rel=${d#"$root"}; p=$root; IFS=/',
  '  for c in $rel; do',
  '    [ -n "$c" ] || continue',
  '    p=$p/$c',
  '    if [ -L "$p" ]; then echo "fleet: $p is a symbolic link; not writing through it" >&2; exit 3; fi',
  '    if [ -e "$p" ] && [ ! -d "$p" ]; then echo "fleet: $p is not a directory; not writing there" >&2; exit 3; fi',
  '  done',
  '  unset IFS',
  'fi',
  // refuseLink: a link (or anything but a file) at the path itself is left alone, as copy-files does here.
  'if [ -n "$keep" ]; then',
  '  if [ -L "$f" ]; then echo "fleet: $f is a symbolic link; not replacing it" >&2; exit 3; fi',
  '  if [ -e "$f" ] && [ ! -f "$f" ]; then echo "fleet: $f is not a regular file; not replacing it" >&2; exit 3; fi',
  'fi',
  'mkdir -p -- "$d"',
  't=$(mktemp "$d/.fleet-write.XXXXXX")',
  'trap \'rm -f -- "$t"\' EXIT',
  'cat > "$t"',
  // unlessSame: a file already there with these bytes is left as it is (a running agent may use it).
  'if [ -n "$same" ] && [ -f "$f" ] && [ ! -L "$f" ] && cmp -s "$t" "$f"; then rm -f -- "$t"; trap - EXIT; exit 0; fi',
  'chmod "$mode" "$t"',
  'mv -f -- "$t" "$f"',
  'trap - EXIT',
].join('\n');
