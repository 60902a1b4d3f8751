import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import type { Runner } from '../../src/process/runner.js';
import { HostTimeoutError, HostUnreachableError, remoteRunner, sshSpawn, writeRemoteFile, type RemoteHost } from '../../src/remote/remote-runner.js';
import { DEFAULT_POLICY, parseSshCommand, type ConnectionPolicy } from '../../src/remote/ssh-command.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let dir: string;
let policy: ConnectionPolicy;
let host: RemoteHost;
/** Every local argv the runner started (ssh's), to check what a command line carries. */
const calls: string[][] = [];
const spy: Runner = (c, a, o) => {
  calls.push([c, ...a]);
  return sshSpawn(c, a, o);
};

beforeAll(async () => {
  sshd = await startSshd();
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-rr-')));
  policy = { ...DEFAULT_POLICY, controlDir: path.join(dir, 'ssh') };
  fs.mkdirSync(policy.controlDir, { mode: 0o700 });
  host = { name: 'loop', target: parseSshCommand(sshd.sshCommand()) };
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const HOSTILE = ["it's", '$(touch /tmp/pwned)', '`id`', 'a\nb\n', '-n', '--', '~', '*', 'ünï 🚀', '\\\\', '%s', ' ', ''];

describe('remoteRunner against a real sshd', () => {
  it('runs argv on the host with every argument byte for byte, as the remote user', async () => {
    const r = remoteRunner(host, { policy, local: spy });
    const out = await r('sh', ['-c', 'id -un; printf "%s\\0" "$@"', 'x', ...HOSTILE]);
    const [user, rest] = [out.stdout.split('\n')[0], out.stdout.slice(out.stdout.indexOf('\n') + 1)];
    expect(user).toBe(sshd.user);
    expect(rest.split('\0').slice(0, -1)).toEqual(HOSTILE);
  });

  it('runs in cwd, and not at all when cwd is missing', async () => {
    const r = remoteRunner(host, { policy });
    const weird = `${sshd.home}/it's a $(dir)`;
    await r('mkdir', ['-p', weird]);
    expect((await r('pwd', [], { cwd: weird })).stdout).toBe(weird);
    const missing = await r('touch', ['ran'], { cwd: `${sshd.home}/nope`, reject: false });
    expect(missing.exitCode).not.toBe(0);
    expect((await sshd.exec('test -e ran; echo $?')).stdout).toBe('1');
  });

  it('passes env over stdin, never on a command line, and input after it byte for byte', async () => {
    calls.length = 0;
    const r = remoteRunner(host, { policy, local: spy });
    const secret = 'sk-live-0123456789\nsecond line';
    const input = Buffer.concat([Buffer.from('first\n'), Buffer.from([0, 1, 2, 255]), Buffer.alloc(100 * 1024, 'x')]);
    const out = await r('sh', ['-c', 'printf "%s" "$FLEET_SECRET" > got-env; cat > got-input; pwd'], { env: { FLEET_SECRET: secret }, input, cwd: sshd.home });
    expect(out.stdout).toBe(sshd.home);
    expect((await sshd.exec('cat got-env')).stdout).toBe(secret);
    expect((await sshd.exec('sha256sum < got-input')).stdout.split(' ')[0]).toBe((await import('node:crypto')).createHash('sha256').update(input).digest('hex'));
    expect(calls.length).toBe(1);
    expect(calls[0]!.join(' ')).not.toContain('sk-live');
  });

  it('shares one connection: after the first call a control master answers on a socket in the control dir', async () => {
    const r = remoteRunner(host, { policy });
    await r('true', []);
    const sockets = fs.readdirSync(policy.controlDir);
    expect(sockets).toHaveLength(1);
    expect(sockets[0]).toMatch(/^[0-9a-f]{40}$/);
    const check = await execa('ssh', ['-O', 'check', '-o', `ControlPath=${path.join(policy.controlDir, sockets[0]!)}`, 'x'], { reject: false });
    expect(check.exitCode).toBe(0);
    expect(check.stderr).toMatch(/Master running/);
  });

  it("20 calls at once ride ONE connection (the first opens the master, the rest wait for it and stay within sshd's 10 sessions)", async () => {
    const logins = () => sshd.log().split('\n').filter((l) => l.includes(`Accepted publickey for ${sshd.user}`)).length;
    const fresh = path.join(dir, 'ssh-burst');
    fs.mkdirSync(fresh, { mode: 0o700 });
    const before = logins();
    const r = remoteRunner(host, { policy: { ...policy, controlDir: fresh } });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => r('sh', ['-c', `sleep 0.5; echo ${i}`])));
    expect(results.map((x) => x.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(logins() - before).toBe(1);
  });

  it("turns ssh's own failure into an error with ssh's message and the doctor hint", async () => {
    const bad = { name: 'gone', target: parseSshCommand(sshd.sshCommand().replace(`-p ${sshd.port}`, '-p 1')) };
    const err = await remoteRunner(bad, { policy }).call(null, 'true', []).catch((e) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect(err.message).toMatch(/^host "gone": ssh: connect to host 127\.0\.0\.1 port 1: Connection refused$/);
    expect(err.hint).toBe('check it with: fleet doctor --host gone');
  });

  it('names a program the host lacks, with the install hint', async () => {
    const noTmux = { name: 'bare', target: parseSshCommand(sshd.sshCommand([], { port: sshd.noTmuxPort })) };
    const r = remoteRunner(noTmux, { policy });
    expect((await r('sh', ['-c', 'echo $PATH'])).stdout).toBe(`${sshd.home}/bin-without-tmux`);
    const err = await r('tmux', ['list-panes', '-a']).catch((e) => e);
    expect(err.message).toBe('tmux not found on host "bare"');
    expect(err.hint).toMatch(/apt-get install tmux.*\(on bare\); fleet doctor --host bare/);
    // A program that exists but fails is not "not found", even when it says "not found".
    const git = await r('git', ['-C', '/nonexistent', 'status'], { reject: false });
    expect(git.exitCode).toBe(128);
  });

  it('gives up on a call that takes longer than the bound, naming the host', async () => {
    const r = remoteRunner(host, { policy, timeoutMs: 1000 });
    const started = Date.now();
    const err = await r('sleep', ['20']).catch((e) => e);
    expect(err).toBeInstanceOf(HostTimeoutError);
    expect(err.message).toBe('host "loop" did not answer within 1 s');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('a failing remote command is an error naming command and host (or data with reject: false)', async () => {
    const r = remoteRunner(host, { policy });
    const err = await r('git', ['-C', '/nonexistent', 'status']).catch((e) => e);
    expect(err.message).toMatch(/^git -C failed on host "loop": fatal: cannot change to '\/nonexistent'/);
    expect((await r('sh', ['-c', 'exit 3'], { reject: false })).exitCode).toBe(3);
  });
});

describe('writeRemoteFile', () => {
  it('writes bytes exactly into a 0600 file, over stdin only', async () => {
    calls.length = 0;
    const r = remoteRunner(host, { policy, local: spy });
    const content = Buffer.concat([Buffer.from("secret $(x) 'q'\n"), Buffer.from([0, 10, 13, 200]), Buffer.alloc(100 * 1024, 'p')]);
    const file = `${sshd.home}/.ai_fleet/run/a b.prompt`;
    await writeRemoteFile(r, file, content);
    const st = await sshd.exec(`stat -c '%a %s %U' '${file}'; stat -c %a '${sshd.home}/.ai_fleet/run'`);
    expect(st.stdout).toBe(`600 ${content.length} ${sshd.user}\n700`);
    const sum = await sshd.exec(`sha256sum < '${file}'`);
    expect(sum.stdout.split(' ')[0]).toBe((await import('node:crypto')).createHash('sha256').update(content).digest('hex'));
    expect(calls.flat().join(' ')).not.toContain('secret');
  });

  it('keeps a given mode, replaces a symlink at the path instead of writing through it', async () => {
    const r = remoteRunner(host, { policy });
    await sshd.exec('mkdir -p wt && echo precious > target && ln -s ../target wt/.env');
    await writeRemoteFile(r, `${sshd.home}/wt/.env`, 'KEY=1\n', { mode: 0o640, within: `${sshd.home}/wt` });
    expect((await sshd.exec('cat target; stat -c %a wt/.env; test -L wt/.env || echo not-a-link; cat wt/.env')).stdout).toBe('precious\n640\nnot-a-link\nKEY=1');
  });

  it('refuses to write through a symlinked directory inside `within`', async () => {
    const r = remoteRunner(host, { policy });
    await sshd.exec('mkdir -p wt2 elsewhere && ln -s ../elsewhere wt2/config');
    const err = await writeRemoteFile(r, `${sshd.home}/wt2/config/x.json`, '{}', { within: `${sshd.home}/wt2` }).catch((e) => e);
    expect(err.message).toMatch(/wt2\/config is a symbolic link; not writing through it/);
    expect((await sshd.exec('ls -A elsewhere')).stdout).toBe('');
  });
});
