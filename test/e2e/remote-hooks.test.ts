import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, waitFor, writeConfig, type CliResult, type Sandbox } from '../helpers/sandbox.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

/**
 * Hook statuses and revive for agents on a host (#14 on #11), end to end: the built CLI, a real
 * sshd on 127.0.0.1 (test/helpers/sshd.ts) whose user has stand-ins for claude and codex
 * (test/helpers/agent-standin.mjs, speaking their real hook protocols) first on its PATH.
 */
interface Row {
  branch: string;
  host: string | null;
  status: string;
  state_reason: string | null;
  conversation_id: string | null;
}

let sshd: TestSshd;
let sb: Sandbox;
let repo: string;

const STANDIN = path.join(import.meta.dirname, '..', 'helpers', 'agent-standin.mjs');
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const remote = async (cmd: string) => (await sshd.exec(cmd)).stdout;

beforeAll(async () => {
  [sshd, sb] = await Promise.all([startSshd(), makeSandbox()]);
  repo = await sb.repo('app', { 'README.md': '# app\n' });
  // The stand-ins on the host's PATH as its ssh sessions see it (~/bin), logging under ~/standin there.
  for (const kind of ['claude', 'codex']) {
    const wrapper = `#!/bin/sh\nSTANDIN_DIR="$HOME/standin" exec ${q(process.execPath)} ${q(STANDIN)} ${kind} "$@"\n`;
    const r = await sshd.exec(`mkdir -p ${q(sshd.binDir)} && cat > ${q(`${sshd.binDir}/${kind}`)} && chmod 755 ${q(`${sshd.binDir}/${kind}`)}`, { input: wrapper });
    expect(r.exitCode, r.stderr).toBe(0);
  }
  writeConfig(sb, ['default_agent = "claude"', '[hosts.loop]', `ssh = ${JSON.stringify(sshd.sshCommand())}`].join('\n') + '\n');
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  await sb?.cleanup();
});

const run = (args: string[]): Promise<CliResult> => fleet(sb, args, { cwd: repo });
async function ok(args: string[]): Promise<CliResult> {
  const r = await run(args);
  expect(r.exitCode, `fleet ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}
async function row(branch: string): Promise<Row | undefined> {
  return (JSON.parse((await ok(['list', '--json'])).stdout) as Row[]).find((r) => r.branch === branch);
}
const untilStatus = (branch: string, status: string) =>
  waitFor(async () => {
    const r = await row(branch);
    return r?.status === status ? r : null;
  }, { what: `${branch} ${status}`, timeout: 30_000 });
const logOf = async (branch: string) => remote(`cat ${q(`${sshd.home}/standin/log/${branch}.log`)} 2>/dev/null || true`);
const argvOf = async (branch: string, n = 0) => {
  const line = await waitFor(async () => (await logOf(branch)).split('\n').filter((l) => l.startsWith('argv: '))[n], { what: `start ${n + 1} of ${branch}`, timeout: 20_000 });
  return JSON.parse(line.slice(6)) as string[];
};
const go = (branch: string) => remote(`touch ${q(`${sshd.home}/standin/go-${branch}`)}`);
const hooksDir = () => `${sshd.home}/.ai_fleet/hooks`;

describe('hook statuses on a host', () => {
  it("claude: fleet's hook script written to the host's ~/.ai_fleet/hooks; working → done; waiting at a permission dialog with its reason; prompt refused there, nothing typed", async () => {
    const created = await ok(['create', 'hc', '--host', 'loop', '-p', 'hold on, then answer']);
    expect(created.stderr).toBe('');
    const working = await untilStatus('hc', 'working');
    expect(working.host).toBe('loop');
    // fleet chose the conversation id; the hook on the host reported the same one.
    const argv = await argvOf('hc');
    expect(working.conversation_id).toBe(argv[argv.indexOf('--session-id') + 1]);
    // The hooks run the script in the host's fleet home (0700 directory), not a path of this machine.
    const settings = JSON.parse(argv[argv.indexOf('--settings') + 1]!) as { hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>> };
    const script = /^sh '?([^' ]+)'? /.exec(settings.hooks.Stop![0]!.hooks[0]!.command)![1]!;
    expect(path.dirname(script)).toBe(hooksDir());
    expect(await remote(`stat -c %a ${q(hooksDir())}; test -f ${q(script)} && echo file`)).toBe('700\nfile');
    await go('hc');
    expect((await untilStatus('hc', 'done')).state_reason).toBeNull();

    await ok(['prompt', 'hc', 'now needs-perm please']);
    const waiting = await untilStatus('hc', 'waiting');
    expect(waiting.state_reason).toBe('permission: Bash(touch perm-test.txt)');
    const refused = await run(['prompt', 'hc', 'yes do it']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('error: "hc" is waiting (permission: Bash(touch perm-test.txt)): what you type would answer that dialog, so nothing was sent');
    expect(await logOf('hc')).not.toContain('dialog-input');
    await ok(['prompt', 'hc', '--force', 'y']);
    await untilStatus('hc', 'done');
    expect(await logOf('hc')).toMatch(/dialog-input: ".*y/);
    expect(await logOf('hc')).not.toMatch(/hook \w+ said/);
    // The worktree on the host is untouched by the hooks.
    expect(await remote(`git -C ${q(`${sshd.home}/.ai_fleet/worktrees/app/hc`)} status --porcelain --ignored`)).toBe('');
    expect((await run(['kill', 'hc'])).exitCode).toBe(0);
  }, 120_000);

  it('the hook script is written only when missing or different, and never through a link', async () => {
    await ok(['create', 'h1', '--host', 'loop', '-p', 'quick one']);
    const file = (await remote(`ls ${q(hooksDir())}/fleet-hook-*.sh`)).trim();
    expect(file).not.toBe('');
    // Same bytes: left as it is (same inode). Changed bytes: written anew.
    const inode = await remote(`stat -c %i ${q(file)}`);
    await ok(['create', 'h2', '--host', 'loop', '-p', 'quick one']);
    expect(await remote(`stat -c %i ${q(file)}`)).toBe(inode);
    await remote(`echo tampered >> ${q(file)}`);
    await ok(['create', 'h3', '--host', 'loop', '-p', 'quick one']);
    expect(await remote(`tail -c 9 ${q(file)}`)).not.toBe('tampered');
    expect(await remote(`grep -c tampered ${q(file)} || true`)).toBe('0');
    await untilStatus('h3', 'done');
    // A link in its place is refused: nothing made, nothing written through it.
    await remote(`rm -f ${q(file)}; ln -s ${q(`${sshd.home}/victim`)} ${q(file)}`);
    const r = await run(['create', 'h4', '--host', 'loop', '-p', 'hi']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`error: cannot install fleet's hook script on host "loop": ${file} is a symbolic link; not replacing it`);
    expect(await remote(`test -e ${q(`${sshd.home}/victim`)} && echo written || echo none`)).toBe('none');
    expect(await row('h4')).toBeUndefined();
    expect((await sshd.exec('tmux has-session -t =fleet_app_h4')).exitCode).not.toBe(0);
    await remote(`rm -f ${q(file)}`);
    expect((await run(['kill', 'h1', 'h2', 'h3'])).exitCode).toBe(0);
  }, 120_000);
});

describe('revive on a host', () => {
  it('codex: statuses from its hooks there; after the host lost its tmux server, revive resumes the same conversation in the remote worktree', async () => {
    await ok(['create', 'hx', '--host', 'loop', '--agent', 'codex', '-p', 'please needs-perm']);
    const waiting = await untilStatus('hx', 'waiting');
    expect(waiting.state_reason).toBe('permission: Bash(touch perm-test.txt)');
    expect(await logOf('hx')).not.toContain('untrusted hook');
    const x1 = waiting.conversation_id!;
    expect(x1).toMatch(/^[0-9a-f-]{36}$/);
    await sshd.exec('tmux kill-server');
    const missing = await untilStatus('hx', 'missing');
    expect(missing.conversation_id).toBe(x1);

    const revived = await ok(['revive', 'hx', '--prompt', 'carry on']);
    expect(revived.stdout).toBe(`revived hx (codex, conversation ${x1}) in loop:${sshd.home}/.ai_fleet/worktrees/app/hx`);
    const argv = await argvOf('hx', 1);
    expect(argv.slice(-3)).toEqual(['resume', x1, 'carry on']);
    expect((await untilStatus('hx', 'done')).conversation_id).toBe(x1);
    expect(await logOf('hx')).toContain('prompt: carry on');
    // The same session name and worktree on the host; no launch file left there.
    expect(await remote(`tmux display -p -t =fleet_app_hx: '#{pane_current_path} #{@fleet_host}'`)).toBe(`${sshd.home}/.ai_fleet/worktrees/app/hx loop`);
    expect(await remote(`ls -A ${q(`${sshd.home}/.ai_fleet/run`)}`)).toBe('');
    expect((await run(['kill', 'hx'])).exitCode).toBe(0);
  }, 120_000);
});
