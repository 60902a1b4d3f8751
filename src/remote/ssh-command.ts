import { splitCommandLine } from '../core/shell-words.js';
import { shJoin } from '../core/shell-words.js';

/** A host's ssh command line, taken apart: what runs, with which of the user's options, to where. */
export interface SshTarget {
  /** "ssh", or the program the user named ("/usr/local/bin/ssh"). */
  program: string;
  /** The user's own options, one flag per element, values in the element after their flag. */
  options: string[];
  /** user@host, an ~/.ssh/config alias, or an ssh:// URI. */
  destination: string;
}

/**
 * OpenSSH's option letters (ssh.c's getopt string): a letter followed by ":" takes a value,
 * either attached (-p2222) or as the next word (-p 2222).
 */
const SSH_GETOPT = '1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:P:Q:R:S:TVw:W:XYy';
const TAKES_VALUE = new Set<string>();
const FLAGS = new Set<string>();
for (let i = 0; i < SSH_GETOPT.length; i++) {
  const c = SSH_GETOPT[i]!;
  if (c === ':') continue;
  if (SSH_GETOPT[i + 1] === ':') TAKES_VALUE.add(c);
  else FLAGS.add(c);
}

/** Options that would make ssh do something other than run fleet's command and return its output. */
const REFUSED: Record<string, string> = {
  f: 'goes to the background',
  n: 'closes stdin, which fleet writes prompts and files through',
  N: 'runs no remote command',
  G: 'only prints its configuration',
  V: 'only prints its version',
  Q: 'only answers a query',
  O: 'sends a control command instead of connecting',
  M: 'makes every call a control master (fleet manages connection sharing itself)',
  W: 'forwards stdio to a port instead of running a command',
  s: 'runs a subsystem instead of a command',
};

/** Why a host's ssh setting is unusable; the message is the reason only (the caller names file and key). */
export class SshCommandError extends Error {}

/**
 * Parse a host's `ssh` setting: a whole ssh command line (`ssh -p 2222 -i ~/.ssh/k user@build1`,
 * like GIT_SSH_COMMAND or rsync -e), or just a destination (`user@build1`, an ~/.ssh/config
 * alias), which means `ssh <destination>`. Options may follow the destination, as ssh allows;
 * a remote command may not (fleet supplies the commands).
 */
export function parseSshCommand(line: string): SshTarget {
  let words: string[];
  try {
    words = splitCommandLine(line);
  } catch (e) {
    throw new SshCommandError(`it cannot be split into words: ${(e as Error).message}`);
  }
  if (words.length === 0) throw new SshCommandError('it is empty');
  let program = 'ssh';
  if (words.length > 1 || /(^|\/)ssh$/.test(words[0]!)) program = words.shift()!;
  if (program.startsWith('-')) throw new SshCommandError(`it starts with the option "${program}"; put the program (ssh) first`);

  const options: string[] = [];
  let destination: string | null = null;
  let i = 0;
  let terminated = false;
  const takeOptions = () => {
    while (i < words.length && !terminated) {
      const w = words[i]!;
      if (w === '--') {
        terminated = true;
        i++;
        return;
      }
      if (!w.startsWith('-') || w === '-') return;
      i++;
      for (let j = 1; j < w.length; j++) {
        const c = w[j]!;
        if (REFUSED[c]) throw new SshCommandError(`option -${c} ${REFUSED[c]}`);
        if (FLAGS.has(c)) {
          options.push(`-${c}`);
          continue;
        }
        if (!TAKES_VALUE.has(c)) throw new SshCommandError(`ssh has no option -${c}`);
        const attached = w.slice(j + 1);
        if (attached !== '') options.push(`-${c}`, attached);
        else {
          if (i >= words.length) throw new SshCommandError(`option -${c} needs a value`);
          options.push(`-${c}`, words[i++]!);
        }
        break;
      }
    }
  };
  takeOptions();
  if (i < words.length) destination = words[i++]!;
  if (!terminated) takeOptions();
  if (destination === null && i < words.length) destination = words[i++]!;
  if (destination === null) throw new SshCommandError('it names no destination (user@host or an ~/.ssh/config alias)');
  if (i < words.length) {
    throw new SshCommandError(`it has a remote command ("${words.slice(i).join(' ')}"); give only the ssh command and destination`);
  }
  if (destination.startsWith('-')) throw new SshCommandError(`the destination "${destination}" starts with "-"`);
  return { program, options, destination };
}

/** How fleet's ssh calls share one connection per host and give up on a host that is gone. */
export interface ConnectionPolicy {
  /** Directory for the control sockets (0700, fleet's own). */
  controlDir: string;
  /** How long an idle master connection stays up after the last call (seconds). */
  persistSeconds: number;
  /** TCP connect + banner exchange limit (seconds). */
  connectTimeout: number;
  /** Keepalive probes: a host that stops answering fails after interval × count seconds. */
  aliveInterval: number;
  aliveCount: number;
}

export const DEFAULT_POLICY: Omit<ConnectionPolicy, 'controlDir'> = {
  persistSeconds: 60,
  connectTimeout: 5,
  aliveInterval: 2,
  aliveCount: 3,
};

/**
 * fleet's options, placed after the user's: ssh keeps the FIRST value it gets for each
 * option, so anything the user set on their command line (their own ControlPath, a longer
 * ConnectTimeout) wins, while fleet's beat ~/.ssh/config. BatchMode: a password prompt would
 * hang a background call; such a host fails at once and doctor says why. %C (a hash of local
 * host, remote host, port and user) keeps the socket path short: unix sockets allow ~104 bytes.
 */
export function connectionOptions(policy: ConnectionPolicy, opts: { batch?: boolean } = {}): string[] {
  const dir = policy.controlDir.replace(/%/g, '%%');
  const o = (kv: string) => ['-o', kv];
  return [
    ...o('ControlMaster=auto'),
    ...o(`ControlPath=${dir}/%C`),
    ...o(`ControlPersist=${policy.persistSeconds}`),
    ...(opts.batch === false ? [] : o('BatchMode=yes')),
    ...o(`ConnectTimeout=${policy.connectTimeout}`),
    ...o(`ServerAliveInterval=${policy.aliveInterval}`),
    ...o(`ServerAliveCountMax=${policy.aliveCount}`),
    // "Warning: Permanently added … to the list of known hosts" would land in every stderr.
    ...o('LogLevel=ERROR'),
  ];
}

/**
 * The local argv that runs `remoteCommand` (one shell command line) on the host:
 * [program, args]. tty: attach wants a terminal (-t); everything else must not get one (-T),
 * or the remote side would turn "\n" into "\r\n" and merge stderr into stdout.
 */
export function sshArgv(target: SshTarget, policy: ConnectionPolicy, remoteCommand: string | null, opts: { tty?: boolean; batch?: boolean } = {}): [string, string[]] {
  const args = [...target.options, ...connectionOptions(policy, opts), opts.tty ? '-t' : '-T', '--', target.destination];
  if (remoteCommand !== null) args.push(remoteCommand);
  return [target.program, args];
}

/**
 * GIT_SSH_COMMAND for git push/fetch to the host: the same program, options and connection
 * sharing (so a push rides the control master `list` already opened). git appends the host and
 * its own command; the string goes through sh, hence the quoting.
 */
export function gitSshCommand(target: SshTarget, policy: ConnectionPolicy): string {
  return shJoin([target.program, ...target.options, ...connectionOptions(policy), '-T']);
}

/**
 * The git URL of `remotePath` (absolute) on the host. scp-like `dest:/path` works for
 * user@host and aliases; an ssh:// destination keeps its form (git adds its port with -p).
 */
export function gitUrl(target: SshTarget, remotePath: string): string {
  if (!remotePath.startsWith('/')) throw new Error(`gitUrl: remote path must be absolute, got "${remotePath}"`);
  const d = target.destination;
  if (/^ssh:\/\//i.test(d)) return d.replace(/\/+$/, '') + remotePath;
  // An IPv6 address (user@::1) needs brackets, or git reads the first ":" as the path separator.
  const at = d.lastIndexOf('@');
  const host = d.slice(at + 1);
  if (host.includes(':') && !host.startsWith('[')) return `${d.slice(0, at + 1)}[${host}]:${remotePath}`;
  return `${d}:${remotePath}`;
}
