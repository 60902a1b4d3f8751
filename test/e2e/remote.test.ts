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
});
