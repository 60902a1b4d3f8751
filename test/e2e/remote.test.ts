import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

/**
 * Agents on a host over ssh (#14), end to end: the built CLI against a real sshd on 127.0.0.1
 * logging in as a user of its own, whose tmux server, home and processes are the "remote".
 */
let sshd: TestSshd;
let sb: Sandbox;
let repo: string;

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The recording agent: writes the prompt it got (byte for byte) beside its worktree, then records what is typed to it. */
const REC = ['bash', '-c', 'printf %s "$1" > "$HOME/prompt-$FLEET_BRANCH.out"; exec cat > "$HOME/typed-$FLEET_BRANCH.out"', 'rec', '{prompt}'];

beforeAll(async () => {
  [sshd, sb] = await Promise.all([startSshd(), makeSandbox()]);
  repo = await sb.repo('app', { 'README.md': '# app\n', 'src/a.txt': 'a\n', '.env': 'SECRET=1\n', '.gitignore': '.env\n' });
  const toml = (s: string) => JSON.stringify(s);
  writeConfig(sb, [
    'default_agent = "rec"',
    'credential_files = [".env"]',
    '[agents.rec]',
    `command = ${JSON.stringify(REC)}`,
    '[hosts.loop]',
    `ssh = ${toml(sshd.sshCommand())}`,
    'max_agents = 2',
    '[hosts.bare]',
    `ssh = ${toml(sshd.sshCommand([], { port: sshd.noTmuxPort }))}`,
    '[hosts.gone]',
    `ssh = ${toml(sshd.sshCommand([], { port: 1 }))}`,
  ].join('\n') + '\n');
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  await sb?.cleanup();
});

const remote = async (cmd: string) => (await sshd.exec(cmd)).stdout;

describe('an agent on a host', () => {
  it('create --host makes the worktree, copies credential files, starts the session there, and the prompt arrives byte for byte', async () => {
    const prompt = `it's "quoted" $(touch /tmp/pwned-${process.pid}) \`id\` \\ $HOME\nsecond line\n\n` + 'x'.repeat(100 * 1024) + '\n';
    fs.writeFileSync(path.join(sb.dir, 'task.md'), prompt);
    const r = await fleet(sb, ['create', 'fix-auth', '--host', 'loop', '--prompt-file', path.join(sb.dir, 'task.md')], { cwd: repo });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const wt = `${sshd.home}/.ai_fleet/worktrees/app/fix-auth`;
    expect(r.stdout).toContain(`  host      loop\n  worktree  ${wt}`);
    const got = await waitFor(async () => {
      const t = await sshd.exec(`cat ${q(`${sshd.home}/prompt-fix-auth.out`)}`);
      return t.exitCode === 0 && t.stdout.length > 100_000 ? (await sshd.exec(`base64 -w0 ${q(`${sshd.home}/prompt-fix-auth.out`)}`)).stdout : null;
    }, { timeout: 20_000, what: 'the prompt on the host' });
    expect(Buffer.from(got, 'base64').toString('utf8')).toBe(prompt);
    expect(fs.existsSync(`/tmp/pwned-${process.pid}`)).toBe(false);
    expect(await remote(`cat ${q(wt)}/.env; stat -c %a ${q(wt)}/.env`)).toBe('SECRET=1\n' + (fs.statSync(path.join(repo, '.env')).mode & 0o777).toString(8));
    expect(await remote(`tmux list-sessions -F '#{session_name}'`)).toContain('fix-auth');
    // No launch file left behind, and none ever on this machine.
    expect(await remote(`ls -A ${q(sshd.home)}/.ai_fleet/run`)).toBe('');
    const rec = readState(sb).agents.find((a) => a.branch === 'fix-auth')!;
    expect(rec).toMatchObject({ host: 'loop', worktree: wt, remote_repo: `${sshd.home}/.ai_fleet/repos/app`, phase: 'ready' });
  }, 60_000);

  it('list shows it with its host (HOST column, host in --json), in one ssh call for the host', async () => {
    const r = await fleet(sb, ['list'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    const [head, row] = r.stdout.split('\n');
    expect(head).toMatch(/^BRANCH +HOST +BATCH +AGENT +STATUS/);
    expect(row).toMatch(/^fix-auth +loop +- +rec +(running|idle) /);
    expect(row).toContain(`${sshd.home}/.ai_fleet/worktrees/app/fix-auth`);
    const json = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ branch: 'fix-auth', host: 'loop', cpu: null, memory: null, state_reason: null });
    expect(['running', 'idle']).toContain(json[0].status);
    const verbose = await fleet(sb, ['list', '--verbose'], { cwd: repo });
    const sshCalls = verbose.stderr.split('\n').filter((l) => /^\+ ssh /.test(l));
    expect(sshCalls).toHaveLength(1);
    expect(sshCalls[0]).toContain('list-panes');
  });

  it('prompt types into it there, logs shows its screen', async () => {
    const text = `next: "it's" $(echo no) \\ done`;
    const p = await fleet(sb, ['prompt', 'fix-auth', text], { cwd: repo });
    expect(p.stderr).toBe('sent 30 characters to fix-auth');
    expect(p.exitCode).toBe(0);
    await waitFor(async () => (await remote(`cat ${q(`${sshd.home}/typed-fix-auth.out`)}`)).includes(text), { timeout: 15_000, what: 'the typed text on the host' });
    const l = await fleet(sb, ['logs', 'fix-auth'], { cwd: repo });
    expect(l.exitCode).toBe(0);
    expect(l.stdout).toContain(text);
  });

  it('diff shows its committed and uncommitted work, fetched to refs/fleet/remote/loop/fix-auth', async () => {
    const wt = `${sshd.home}/.ai_fleet/worktrees/app/fix-auth`;
    await remote(`cd ${q(wt)} && echo fixed > src/a.txt && git add -A && git -c user.name=A -c user.email=a@x commit -qm 'fix a' && echo new > src/new.txt`);
    const d = await fleet(sb, ['diff', 'fix-auth', '--name-only'], { cwd: repo });
    expect(d.stderr).toBe('');
    expect(d.stdout.split('\n').sort()).toEqual(['src/a.txt', 'src/new.txt']);
    expect((await sb.git(repo, 'log', '-1', '--format=%s', 'refs/fleet/remote/loop/fix-auth')).trim()).toBe('fix a');
    // Nothing of fleet's moved a branch of the user's.
    expect((await sb.git(repo, 'branch', '--format=%(refname:short)')).trim()).toBe('main');
  });

  it('kill refuses while the worktree on the host holds uncommitted work, and leaves it whole', async () => {
    const k = await fleet(sb, ['kill', 'fix-auth'], { cwd: repo });
    expect(k.exitCode).not.toBe(0);
    expect(k.stderr).toContain(`error: "fix-auth" has uncommitted changes (src/new.txt) in loop:${sshd.home}/.ai_fleet/worktrees/app/fix-auth; kept it`);
    expect(await remote(`tmux has-session -t =fleet_app_fix-auth && echo yes`)).toBe('yes');
    expect(readState(sb).agents).toHaveLength(1);
  });

  it('pick lands its commits and uncommitted work here, then ends it: nothing left on the host', async () => {
    const p = await fleet(sb, ['pick', 'fix-auth'], { cwd: repo });
    expect(p.stderr).toBe('');
    expect(p.exitCode).toBe(0);
    expect(fs.readFileSync(path.join(repo, 'src/a.txt'), 'utf8')).toBe('fixed\n');
    expect(fs.readFileSync(path.join(repo, 'src/new.txt'), 'utf8')).toBe('new\n');
    // The credential file fleet copied is not part of the work.
    expect((await sb.git(repo, 'show', '--name-only', '--format=', 'HEAD')).split('\n')).not.toContain('.env');
    expect(readState(sb).agents).toEqual([]);
    await expectNothingLeft('fix-auth');
  });
});

/** No session, worktree or process of the agent on the host. */
async function expectNothingLeft(branch: string): Promise<void> {
  expect((await sshd.exec(`tmux has-session -t =fleet_app_${branch}`)).exitCode).not.toBe(0);
  expect(await remote(`ls -A ${q(sshd.home)}/.ai_fleet/worktrees/app 2>/dev/null | grep -x ${q(branch)} || true`)).toBe('');
  expect(await remote(`cd ${q(sshd.home)}/.ai_fleet/repos/app && git worktree list --porcelain | grep -c '^worktree' `)).toBe('1');
  // The recording agent's cat, and anything else started in the worktree.
  expect(await remote(`for d in /proc/[0-9]*; do readlink $d/cwd; done 2>/dev/null | grep -c /.ai_fleet/worktrees/app/${branch} || true`)).toBe('0');
}
