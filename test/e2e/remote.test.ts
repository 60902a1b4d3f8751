import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, onTerminal, readState, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';
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
  configure();
}, 60_000);

/** The config: the recording agent, hosts loop (the sshd), bare (no tmux there), gone (nothing listens); `top` lines first, `loopSsh` replacing loop's. */
function configure(opts: { top?: string[]; loopSsh?: string } = {}): void {
  const toml = (s: string) => JSON.stringify(s);
  writeConfig(sb, [
    'default_agent = "rec"',
    'credential_files = [".env"]',
    ...(opts.top ?? []),
    '[agents.rec]',
    `command = ${JSON.stringify(REC)}`,
    '[hosts.loop]',
    `ssh = ${toml(opts.loopSsh ?? sshd.sshCommand())}`,
    'max_agents = 2',
    '[hosts.bare]',
    `ssh = ${toml(sshd.sshCommand([], { port: sshd.noTmuxPort }))}`,
    '[hosts.gone]',
    `ssh = ${toml(sshd.sshCommand([], { port: 1 }))}`,
  ].join('\n') + '\n');
}

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

describe('ending agents on a host', () => {
  it('kill --delete-branch leaves nothing on the host: session, worktree, branch, processes (also one the agent left running)', async () => {
    const c = await fleet(sb, ['create', 'tidy', '--host', 'loop', '-p', 'hi'], { cwd: repo });
    expect(c.exitCode).toBe(0);
    const wt = `${sshd.home}/.ai_fleet/worktrees/app/tidy`;
    // A daemon of the agent's, in its worktree, in a session of its own (not in the pane's tree).
    await sshd.exec(`cd ${q(wt)} || exit 1; setsid sleep 300 </dev/null >/dev/null 2>&1 &`);
    // And a commit of its own, so the branch is not merged anywhere.
    await sshd.exec(`cd ${q(wt)} && echo t > t.txt && git add t.txt && git -c user.name=A -c user.email=a@x commit -qm t`);
    await waitFor(async () => (await remote(`pgrep -u ${sshd.user} -x sleep || true`)) !== '', { what: 'the daemon' });
    // The user's own shell in the worktree, on another terminal (a tmux session of theirs): not the agent's.
    await sshd.exec(`tmux new-session -d -s mine -c ${q(wt)} 'exec sleep 301'`);
    const refused = await fleet(sb, ['kill', 'tidy', '--delete-branch'], { cwd: repo });
    expect(refused.stderr).toBe('error: branch "tidy" has 1 commit not merged anywhere; not deleting it\nhint: merge it first (it is here as refs/fleet/remote/loop/tidy), or fleet kill tidy --delete-branch --force');
    expect(refused.exitCode).toBe(1);
    expect(await remote(`tmux has-session -t =fleet_app_tidy && echo yes`)).toBe('yes');
    const k = await fleet(sb, ['kill', 'tidy', '--delete-branch', '--force'], { cwd: repo });
    expect(k.stderr).toBe('');
    expect(k.stdout).toBe('killed tidy: session ended, worktree removed, branch deleted, its commits are here as refs/fleet/remote/loop/tidy');
    expect(k.exitCode).toBe(0);
    const sleeps = async () => (await remote(`ps -u ${sshd.user} -o args= | grep '^sleep 30[01]$' || true`)).split('\n').filter(Boolean);
    expect(await sleeps()).toEqual(['sleep 301']);
    await sshd.exec('tmux kill-session -t =mine');
    await expectNothingLeft('tidy');
    expect(await remote(`git -C ${q(sshd.home)}/.ai_fleet/repos/app branch --list tidy`)).toBe('');
    expect(readState(sb).agents).toEqual([]);
  }, 60_000);

  it('a failing setup command is rolled back on the host: nothing left there or here', async () => {
    configure({ top: ['setup_commands = ["echo preparing; exit 3"]'] });
    try {
      const r = await fleet(sb, ['create', 'broken', '--host', 'loop', '-p', 'hi'], { cwd: repo });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/^error: setup command failed for "broken" \(exit 3\): echo preparing; exit 3\n {2}\| \$ echo preparing; exit 3\n {2}\| preparing\n/);
      expect(readState(sb).agents).toEqual([]);
      await expectNothingLeft('broken');
      expect(await remote(`git -C ${q(sshd.home)}/.ai_fleet/repos/app branch --list broken`)).toBe('');
    } finally {
      configure();
    }
  }, 60_000);

  it('Ctrl+C during a setup command on the host rolls back, the command included', async () => {
    configure({ top: ['setup_commands = ["touch started; sleep 300"]'] });
    try {
      const child = execa(process.execPath, [CLI, 'create', 'slow', '--host', 'loop', '-p', 'hi'], { cwd: repo, env: sb.env, extendEnv: false, reject: false, detached: true });
      const wt = `${sshd.home}/.ai_fleet/worktrees/app/slow`;
      await waitFor(async () => (await sshd.exec(`test -e ${q(wt)}/started`)).exitCode === 0, { timeout: 20_000, what: 'setup to start on the host' });
      process.kill(-child.pid!, 'SIGINT');
      const r = await child;
      expect(r.exitCode).toBe(130);
      expect(r.stderr).toMatch(/^error: interrupted: "slow" was not created; everything made was rolled back$/m);
      expect(readState(sb).agents).toEqual([]);
      await expectNothingLeft('slow');
      expect(await remote(`pgrep -u ${sshd.user} -x sleep || true`)).toBe('');
    } finally {
      configure();
    }
  }, 60_000);
});

describe('more commands on a host', () => {
  it('prune removes an agent whose session on the host is gone, and its clean worktree there', async () => {
    expect((await fleet(sb, ['create', 'lost', '--host', 'loop', '-p', 'hi'], { cwd: repo })).exitCode).toBe(0);
    await sshd.exec('tmux kill-session -t =fleet_app_lost');
    const rows = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['missing']);
    const p = await fleet(sb, ['prune'], { cwd: repo });
    expect(p.exitCode).toBe(0);
    expect(p.stdout).toContain('lost');
    expect(readState(sb).agents).toEqual([]);
    await expectNothingLeft('lost');
  }, 60_000);

  it('attach puts this terminal on the session on the host (ssh -t … tmux attach); detaching ends it, the agent keeps running', async () => {
    expect((await fleet(sb, ['create', 'att', '--host', 'loop', '-p', 'hi'], { cwd: repo })).exitCode).toBe(0);
    expect((await fleet(sb, ['prompt', 'att', 'hello-from-the-host'], { cwd: repo })).exitCode).toBe(0);
    const term = await onTerminal(sb, 'attach att', { cols: 100, rows: 30, cwd: repo });
    // The remote session's screen on this terminal: the typed text its tty echoed there.
    await waitFor(async () => (await term.screen()).includes('hello-from-the-host'), { timeout: 20_000, what: 'the remote screen on the terminal' });
    await term.keys('C-b', 'd');
    expect((await term.ended()).exitCode).toBe(0);
    expect(await remote(`tmux has-session -t =fleet_app_att && echo yes`)).toBe('yes');
    expect((await fleet(sb, ['kill', 'att', '--force'], { cwd: repo })).exitCode).toBe(0);
    await expectNothingLeft('att');
  }, 60_000);
});

describe('wait and revive', () => {
  it('wait returns once an agent on a host has exited; revive reaches it there and says why a shell cannot be revived', async () => {
    configure({ top: [], loopSsh: undefined });
    const c = await fleet(sb, ['create', 'quick', '--host', 'loop', '--agent', 'shell', '-p', 'echo bye; exit 3'], { cwd: repo });
    expect(c.exitCode).toBe(0);
    const w = await fleet(sb, ['wait', 'quick', '--timeout', '30'], { cwd: repo });
    expect(w.stdout).toBe('quick  exited (3)');
    expect(w.exitCode).toBe(0);
    const r = await fleet(sb, ['revive', 'quick'], { cwd: repo });
    expect(r.stderr).toMatch(/^warning: cannot revive "quick": agent "shell" keeps no conversation fleet can resume .*\nerror: 1 agent not revived: quick$/);
    expect(r.exitCode).toBe(1);
    expect((await fleet(sb, ['kill', 'quick'], { cwd: repo })).exitCode).toBe(0);
    await expectNothingLeft('quick');
  }, 60_000);
});

describe('a host gone for good', () => {
  it('kill names --force; kill --force drops the record with one warning of what is left there, and keeps the fetched refs', async () => {
    const c = await fleet(sb, ['create', 'faraway', '--host', 'loop', '-p', 'hi'], { cwd: repo });
    expect(c.exitCode, c.stderr).toBe(0);
    const wt = `${sshd.home}/.ai_fleet/worktrees/app/faraway`;
    await remote(`cd ${q(wt)} && echo faraway > src/a.txt && git -c user.name=A -c user.email=a@x commit -qam 'far work'`);
    expect((await fleet(sb, ['diff', 'faraway'], { cwd: repo })).exitCode).toBe(0);
    const fetched = (await sb.git(repo, 'rev-parse', 'refs/fleet/remote/loop/faraway')).trim();
    const before = readState(sb).agents;
    configure({ loopSsh: sshd.sshCommand([], { port: 1 }) });
    try {
      const k = await fleet(sb, ['kill', 'faraway'], { cwd: repo });
      expect(k.exitCode).toBe(1);
      expect(k.stderr).toBe(
        'error: cannot end "faraway": host "loop" is unreachable: ssh: connect to host 127.0.0.1 port 1: Connection refused\n' +
          'hint: check it with: fleet doctor --host loop; if the host is gone for good, fleet kill faraway --force drops its record (what is on the host stays there)',
      );
      expect(readState(sb).agents).toEqual(before);
      const f = await fleet(sb, ['kill', 'faraway', '--force'], { cwd: repo });
      expect(f.exitCode).toBe(0);
      expect(f.stderr).toBe(
        `warning: dropped "faraway" without reaching host "loop" (ssh: connect to host 127.0.0.1 port 1: Connection refused): its tmux session fleet_app_faraway, its worktree ${wt} and any processes it started may still be there; ` +
          `to clean up on the host: tmux kill-session -t '=fleet_app_faraway'; git -C ${sshd.home}/.ai_fleet/repos/app worktree remove --force ${wt}`,
      );
      expect(f.stdout).toBe('dropped faraway: nothing on host "loop" was touched; its commits fetched earlier are here as refs/fleet/remote/loop/faraway');
      expect(readState(sb).agents.filter((a) => a.branch === 'faraway')).toEqual([]);
      expect((await sb.git(repo, 'rev-parse', 'refs/fleet/remote/loop/faraway')).trim()).toBe(fetched);
    } finally {
      configure();
    }
    // What the warning says is left there, and its clean-up by hand.
    expect(await remote(`tmux has-session -t =fleet_app_faraway && echo yes`)).toBe('yes');
    await remote(`tmux kill-session -t '=fleet_app_faraway'; git -C ${q(`${sshd.home}/.ai_fleet/repos/app`)} worktree remove --force ${q(wt)}`);
    await waitFor(async () => (await remote(`for d in /proc/[0-9]*; do readlink $d/cwd; done 2>/dev/null | grep -c ${q(wt)} || true`)) === '0', { what: 'the agent to end' });
    await expectNothingLeft('faraway');
  }, 60_000);
});

describe('hosts that fail', () => {
  it('an unknown host name: one error, the configured ones as the hint, nothing made', async () => {
    const r = await fleet(sb, ['create', 'x', '--host', 'nope', '-p', 'hi'], { cwd: repo });
    expect(r.stderr).toBe('error: unknown host "nope"\nhint: configured hosts: bare, gone, loop');
    expect(r.exitCode).toBe(1);
    expect(readState(sb).agents).toEqual([]);
  });

  it("a host whose ssh fails: ssh's own message and the hint, nothing made", async () => {
    const r = await fleet(sb, ['create', 'x', '--host', 'gone', '-p', 'hi'], { cwd: repo });
    expect(r.stderr).toBe('error: host "gone": ssh: connect to host 127.0.0.1 port 1: Connection refused\nhint: check it with: fleet doctor --host gone');
    expect(r.exitCode).toBe(1);
    expect(readState(sb).agents).toEqual([]);
    expect(await sb.git(repo, 'branch', '--list', 'x')).toBe('');
  });

  it('a host without tmux is named as such', async () => {
    const r = await fleet(sb, ['create', 'x', '--host', 'bare', '-p', 'hi'], { cwd: repo });
    expect(r.stderr.split('\n')[0]).toBe('error: tmux not found on host "bare"');
    expect(r.stderr).toMatch(/\nhint: .*tmux.*\(on bare\); fleet doctor --host bare checks everything fleet needs$/);
    expect(r.exitCode).toBe(1);
    expect(readState(sb).agents).toEqual([]);
  });

  it('a host that stops answering mid-list: list ends within its bound, shows the agent unreachable, and loses no record', async () => {
    const c = await fleet(sb, ['create', 'far', '--host', 'loop', '-p', 'hi'], { cwd: repo });
    expect(c.exitCode).toBe(0);
    const before = readState(sb).agents;
    // A host that accepts the connection and then says nothing (a machine that went away behind a NAT, a hung sshd).
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      configure({ loopSsh: sshd.sshCommand([], { port }) });
      const r = await fleet(sb, ['list', '--json'], { cwd: repo, timeout: 30_000 });
      expect(r.exitCode).toBe(0);
      const [row] = JSON.parse(r.stdout);
      expect(row).toMatchObject({ branch: 'far', host: 'loop', status: 'unreachable' });
      expect(row.state_reason).toMatch(/^host "loop"/);
      expect(r.stderr).toMatch(/^warning: host "loop" unreachable: /);
      expect(readState(sb).agents).toEqual(before);
      // prune leaves it alone too.
      const p = await fleet(sb, ['prune'], { cwd: repo, timeout: 30_000 });
      expect(p.exitCode).toBe(0);
      expect(readState(sb).agents).toEqual(before);
    } finally {
      silent.close();
      configure();
    }
    const back = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout);
    expect(['running', 'idle']).toContain(back[0].status);
    expect((await fleet(sb, ['kill', 'far'], { cwd: repo })).exitCode).toBe(0);
    await expectNothingLeft('far');
  }, 90_000);
});

describe('fanout over hosts', () => {
  it('--hosts loop,local spreads round-robin up to max_agents, and refuses more than the hosts take', async () => {
    const over = await fleet(sb, ['fanout', '3', 'many', '--hosts', 'loop', '-p', 'hi'], { cwd: repo });
    expect(over.stderr).toBe('error: the hosts have room for 2 agents, not 3 (loop 2 free slots)\nhint: add a host to --hosts, raise max_agents in its [hosts.NAME], or start fewer agents');
    expect(over.exitCode).toBe(1);
    const r = await fleet(sb, ['fanout', '3', 'sp', '--hosts', 'loop,local', '-p', 'hi'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`  sp-1  rec  loop:${sshd.home}/.ai_fleet/worktrees/app/sp-1\n  sp-2  rec  ${sb.fleetHome}/worktrees/app/sp-2\n`);
    const rows = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout) as Array<{ branch: string; host: string | null }>;
    expect(rows.map((a) => [a.branch, a.host])).toEqual([['sp-1', 'loop'], ['sp-2', null], ['sp-3', 'loop']]);
    expect(await remote(`tmux list-sessions -F '#{session_name}' | sort`)).toBe('fleet_app_sp-1\nfleet_app_sp-3');
    const k = await fleet(sb, ['kill', '--batch', 'sp', '--yes'], { cwd: repo });
    expect(k.exitCode).toBe(0);
    expect(readState(sb).agents).toEqual([]);
    await expectNothingLeft('sp-1');
    await expectNothingLeft('sp-3');
  }, 90_000);
});
