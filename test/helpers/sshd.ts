import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { waitFor } from './sandbox.js';

/**
 * A real OpenSSH sshd on 127.0.0.1, for one test file, logging in as a user of its own
 * (`fleet-rt-<random>`, made with useradd and removed again), so a "remote host" in tests is a
 * different account with its own home, PATH and tmux server, reached through real ssh.
 *
 * Needs root (or passwordless sudo) and openssh-server (.ci/run installs it). When sshd cannot
 * start, startSshd throws: remote tests fail, they never skip.
 */
export interface TestSshd {
  port: number;
  user: string;
  uid: number;
  /** The remote user's home directory. */
  home: string;
  /** `~/bin` of the remote user: first on the PATH of its ssh sessions (not on noTmuxPort's). */
  binDir: string;
  /** Client private key and known_hosts, in a 0700 directory of the test. */
  keyFile: string;
  knownHosts: string;
  /**
   * A second port of the same sshd where the session's PATH has every program of /usr/bin and
   * /bin except tmux (sshd_config: Match LocalPort + SetEnv PATH): "a host without tmux".
   */
  noTmuxPort: number;
  /** The command line for `[hosts.NAME] ssh = "…"`, with `extra` options added before the destination. */
  sshCommand(extra?: string[], opts?: { port?: number }): string;
  /** argv of a plain ssh (no connection sharing) to the host: for the tests' own checks. */
  sshArgv(extra?: string[], opts?: { port?: number }): string[];
  /** Run a shell command line as the remote user, over a fresh plain ssh connection. */
  exec(command: string, opts?: { input?: string }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** sshd's own log (stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

const SSHD = ['/usr/sbin/sshd', '/usr/local/sbin/sshd', '/opt/homebrew/sbin/sshd'].find((p) => fs.existsSync(p));
const isRoot = process.getuid?.() === 0;

/** Run a command with root rights: directly as root, else through passwordless sudo. */
async function priv(cmd: string, args: string[], opts: { reject?: boolean; input?: string } = {}) {
  const [c, a] = isRoot ? [cmd, args] : ['sudo', ['-n', cmd, ...args]];
  return execa(c, a, { reject: opts.reject ?? true, input: opts.input, stdin: opts.input === undefined ? 'ignore' : undefined });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Every process of `uid`, by pid (never by name). */
async function pidsOfUser(uid: number): Promise<number[]> {
  const r = await execa('ps', ['-o', 'pid=', '-U', String(uid)], { reject: false });
  return r.stdout.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
}

/** The pids of every descendant of `root` (deepest last). */
async function descendants(root: number): Promise<number[]> {
  const r = await execa('ps', ['-e', '-o', 'pid=,ppid='], { reject: false });
  const children = new Map<number, number[]>();
  for (const line of r.stdout.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!pid || ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

async function killPids(pids: number[]): Promise<void> {
  if (pids.length === 0) return;
  await priv('kill', ['-KILL', ...pids.map(String)], { reject: false });
}

const OWNER_FILE = '.fleet-test-owner';

/** Remove test users a crashed run left behind (their owner process is gone). */
async function sweepStaleUsers(): Promise<void> {
  const r = await execa('getent', ['passwd'], { reject: false });
  for (const line of r.stdout.split('\n')) {
    const [name, , uid, , , home] = line.split(':');
    if (!name?.startsWith('fleet-rt-') || !home || !uid) continue;
    let owner = 0;
    try {
      owner = Number(fs.readFileSync(path.join(home, OWNER_FILE), 'utf8'));
    } catch {
      // No owner file: another test file that is still setting its user up (leave it), or a
      // run that died before writing it (sweep it once it is old).
      try {
        if (Date.now() - fs.statSync(home).mtimeMs < 10 * 60_000) continue;
      } catch {
        // no home at all: sweep
      }
    }
    if (owner > 0) {
      try {
        process.kill(owner, 0);
        continue; // its test run is alive
      } catch {
        // gone
      }
    }
    await removeUser(name, Number(uid));
  }
}

async function removeUser(name: string, uid: number): Promise<void> {
  await killPids(await pidsOfUser(uid));
  await priv('rm', ['-rf', `/tmp/tmux-${uid}`], { reject: false });
  await priv('flock', ['/tmp/.fleet-test-users.lock', 'userdel', '-r', name], { reject: false });
}

export async function startSshd(): Promise<TestSshd> {
  if (!SSHD) throw new Error('sshd not found: install openssh-server (apt-get install openssh-server); .ci/run does this');
  if (!isRoot && (await execa('sudo', ['-n', 'true'], { reject: false })).exitCode !== 0) {
    throw new Error('the remote-host tests need root or passwordless sudo (they add a user and start sshd)');
  }
  await sweepStaleUsers();

  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-sshd-')));
  fs.chmodSync(dir, 0o755); // sshd (root) reads its config here
  const client = path.join(dir, 'client');
  fs.mkdirSync(client, { mode: 0o700 });
  const keyFile = path.join(client, 'id_ed25519');
  const knownHosts = path.join(client, 'known_hosts');
  const hostKey = path.join(dir, 'host_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-test-client', '-f', keyFile]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-test-host', '-f', hostKey]);

  const user = `fleet-rt-${Math.random().toString(36).slice(2, 8)}`;
  // "*" (not useradd's default "!"): no password login, but not "locked", which sshd
  // without PAM refuses even for key logins.
  await priv('flock', ['/tmp/.fleet-test-users.lock', 'useradd', '-m', '-p', '*', '-s', '/bin/bash', user]);
  const info = (await execa('getent', ['passwd', user])).stdout.split(':');
  const uid = Number(info[2]);
  const home = info[5]!;
  const stopped = { done: false };
  let sshd: ResultPromise | null = null;
  const logFile = path.join(dir, 'sshd.log');

  const cleanup = async () => {
    if (stopped.done) return;
    stopped.done = true;
    if (sshd?.pid) {
      // The per-connection sshd processes (children of the listener) hold the clients' control
      // masters open; ending them ends those masters too.
      await killPids([...(await descendants(sshd.pid)), sshd.pid]);
      await sshd.catch(() => undefined);
    }
    await removeUser(user, uid);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const ssh = path.join(home, '.ssh');
    const pub = path.join(client, 'id_ed25519.pub');
    const owner = path.join(dir, 'owner');
    fs.writeFileSync(owner, String(process.pid));
    await priv('install', ['-d', '-o', user, '-g', user, '-m', '700', ssh]);
    await priv('install', ['-o', user, '-g', user, '-m', '600', pub, path.join(ssh, 'authorized_keys')]);
    await priv('install', ['-o', user, '-g', user, '-m', '644', owner, path.join(home, OWNER_FILE)]);
    await priv('git', ['config', '--file', path.join(home, '.gitconfig'), 'init.defaultBranch', 'main']);
    await priv('chown', [`${user}:${user}`, path.join(home, '.gitconfig')]);
    await priv('mkdir', ['-p', '/run/sshd']);
    await priv('chmod', ['755', '/run/sshd']);

    const port = await freePort();
    let noTmuxPort = await freePort();
    while (noTmuxPort === port) noTmuxPort = await freePort();
    const noTmuxBin = path.join(home, 'bin-without-tmux');
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(
      config,
      [
        `Port ${port}`,
        `Port ${noTmuxPort}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'AuthorizedKeysFile .ssh/authorized_keys',
        'StrictModes yes',
        `AllowUsers ${user}`,
        'PermitRootLogin no',
        'PrintMotd no',
        'PrintLastLog no',
        'LogLevel VERBOSE',
        'Subsystem sftp internal-sftp',
        // sshd sets PATH after the client's env, so only the server side can replace it.
        // The main port: the usual PATH with ~/bin first, where tests put agent programs.
        `Match LocalPort ${port}`,
        `  SetEnv PATH=${home}/bin:/usr/local/bin:/usr/bin:/bin`,
        `Match LocalPort ${noTmuxPort}`,
        `  SetEnv PATH=${noTmuxBin}`,
      ].join('\n') + '\n',
    );
    // sshd appends its log to the file itself (-E), never through a pipe to this process: a
    // caller that blocks its event loop (a benchmark's spawnSync) would otherwise leave the pipe
    // full, and sshd stops answering new logins once it blocks writing to it.
    fs.writeFileSync(logFile, '', { flag: 'a' });
    const argv = [SSHD, '-D', '-E', logFile, '-f', config];
    const [c, ...a] = isRoot ? argv : ['sudo', '-n', ...argv];
    sshd = execa(c!, a, { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', reject: false });
    const exited = { code: null as number | null };
    void sshd.then((r) => (exited.code = r.exitCode ?? -1));

    const base = (p = port) => [
      '-F', '/dev/null',
      '-p', String(p),
      '-i', keyFile,
      '-o', 'IdentitiesOnly=yes',
      '-o', `UserKnownHostsFile=${knownHosts}`,
      '-o', 'StrictHostKeyChecking=accept-new',
    ];
    const dest = `${user}@127.0.0.1`;
    const sshArgv = (extra: string[] = [], opts: { port?: number } = {}) => ['ssh', ...base(opts.port), ...extra, dest];
    const exec: TestSshd['exec'] = async (command, opts = {}) => {
      const r = await execa('ssh', [...base(), '-o', 'BatchMode=yes', '-T', dest, command], {
        reject: false,
        input: opts.input,
        stdin: opts.input === undefined ? 'ignore' : undefined,
        timeout: 30_000,
      });
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? 255 };
    };

    await waitFor(
      async () => {
        if (exited.code !== null) throw new Error(`sshd exited with ${exited.code}: ${fs.readFileSync(logFile, 'utf8')}`);
        const r = await exec('true');
        return r.exitCode === 0;
      },
      { timeout: 20_000, interval: 100, what: `sshd on 127.0.0.1:${port} to accept ${user}` },
    ).catch((e) => {
      throw new Error(`${(e as Error).message}\nsshd log:\n${fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '(none)'}`);
    });

    const linkAll = `mkdir -p "$1" && for f in /usr/bin/* /bin/*; do n=\${f##*/}; [ "$n" = tmux ] || [ -e "$1/$n" ] || ln -s "$f" "$1/$n"; done`;
    const made = await exec(`sh -c '${linkAll}' fleet-bin '${noTmuxBin}'`);
    if (made.exitCode !== 0) throw new Error(`could not make ${noTmuxBin}: ${made.stderr}`);

    return {
      port,
      noTmuxPort,
      user,
      uid,
      home,
      binDir: path.join(home, 'bin'),
      keyFile,
      knownHosts,
      sshArgv,
      sshCommand: (extra = [], opts = {}) => sshArgv(extra, opts).map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' '),
      exec,
      log: () => fs.readFileSync(logFile, 'utf8'),
      stop: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
