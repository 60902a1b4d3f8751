import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { CLI, fleet, makeSandbox, snapshotTree, waitFor, writeConfig, type CliResult, type Sandbox } from '../helpers/sandbox.js';

/**
 * Agents that report their own state, end to end: the built CLI, real git and tmux, and
 * stand-ins for claude, codex and gemini (test/helpers/agent-standin.mjs) that find fleet's
 * hooks where the real CLIs do and send the payloads the real CLIs sent.
 */
interface Row {
  branch: string;
  status: string;
  state_reason: string | null;
  state_since: string | null;
  conversation_id: string | null;
  exit_code: number | null;
}

let sb: Sandbox;
let repo: string;
let bin: string;
let env: Record<string, string>;

const STANDIN = path.join(import.meta.dirname, '..', 'helpers', 'agent-standin.mjs');

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  bin = path.join(sb.dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const kind of ['claude', 'codex', 'gemini']) {
    fs.writeFileSync(path.join(bin, kind), `#!/usr/bin/env bash\nSTANDIN_DIR='${sb.dir}' exec '${process.execPath}' '${STANDIN}' ${kind} "$@"\n`, { mode: 0o755 });
  }
  env = { PATH: `${bin}:${process.env.PATH}` };
  writeConfig(sb, 'default_agent = "claude"\n');
  // The user's own agent settings: set up, and trusting the repository (read by fleet, never written).
  const home = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(sb.home, rel)), { recursive: true });
    fs.writeFileSync(path.join(sb.home, rel), text);
  };
  home('.claude.json', JSON.stringify({ hasCompletedOnboarding: true, projects: { [repo]: { hasTrustDialogAccepted: true } } }));
  home('.claude/settings.json', JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'true' }] }] } }));
  home('.codex/config.toml', `[projects."${repo}"]\ntrust_level = "trusted"\n`);
  home('.gemini/settings.json', JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }));
  home('.gemini/trustedFolders.json', JSON.stringify({ [repo]: 'TRUST_FOLDER' }));
});
afterEach(async () => {
  await sb.cleanup();
});

const run = (args: string[]): Promise<CliResult> => fleet(sb, args, { cwd: repo, env });
async function ok(args: string[]): Promise<CliResult> {
  const r = await run(args);
  expect(r.exitCode, `fleet ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}
async function rows(): Promise<Row[]> {
  return JSON.parse((await ok(['list', '--json'])).stdout) as Row[];
}
async function row(branch: string): Promise<Row> {
  return (await rows()).find((r) => r.branch === branch)!;
}
const untilStatus = (branch: string, status: string, what = `${branch} ${status}`) =>
  waitFor(async () => ((await row(branch))?.status === status ? row(branch) : null), { what, timeout: 20_000 });
const logOf = (branch: string) => {
  const f = path.join(sb.dir, 'log', `${branch}.log`);
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
};
const argvLines = (branch: string) => logOf(branch).split('\n').filter((l) => l.startsWith('argv: '));
/** The argv the agent's n-th start got (waits for that start to log it). */
const argvOf = async (branch: string, n = 0) =>
  JSON.parse((await waitFor(() => argvLines(branch)[n], { what: `start ${n + 1} of ${branch}` })).slice(6)) as string[];
const go = (branch: string) => fs.writeFileSync(path.join(sb.dir, `go-${branch}`), '');

describe('statuses from the agents\' own hooks', () => {
  it('claude: working → done on a turn; a permission request waits with the tool named; answered, done again', async () => {
    const userFiles = () => ({ claude: snapshotTree(path.join(sb.home, '.claude')), json: fs.readFileSync(path.join(sb.home, '.claude.json'), 'utf8') });
    const before = userFiles();
    const created = await ok(['create', 'turn', '-p', 'hold on, then answer']);
    expect(created.stderr).not.toMatch(/warning/);
    const working = await untilStatus('turn', 'working');
    // fleet chose the conversation id and gave it to claude; the hook reported the same one.
    const argv = await argvOf('turn');
    expect(working.conversation_id).toBe(argv[argv.indexOf('--session-id') + 1]);
    expect(logOf('turn')).toContain('env: GEMINI_CLI_HOME= DISABLE_AUTOUPDATER=1');
    go('turn');
    const done = await untilStatus('turn', 'done');
    expect(done.state_reason).toBeNull();
    expect(Date.parse(done.state_since!)).toBeGreaterThan(Date.now() - 60_000);

    await ok(['prompt', 'turn', 'now needs-perm please']);
    const waiting = await untilStatus('turn', 'waiting');
    expect(waiting.state_reason).toBe('permission: Bash(touch perm-test.txt)');
    const table = (await ok(['list'])).stdout;
    expect(table).toMatch(/turn\s+-\s+claude\s+! waiting/);
    expect(table).toContain('! turn waiting: permission: Bash(touch perm-test.txt) — fleet attach turn');

    // The guard: refused, nothing typed into the dialog.
    const refused = await run(['prompt', 'turn', 'yes do it']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('error: "turn" is waiting (permission: Bash(touch perm-test.txt)): what you type would answer that dialog, so nothing was sent');
    expect(refused.stderr).toContain('hint: fleet attach turn to answer it; --wait to send once it can take input, --force to type anyway');
    expect(logOf('turn')).not.toContain('dialog-input');
    // --force types it: the dialog takes the answer.
    await ok(['prompt', 'turn', '--force', 'y']);
    await untilStatus('turn', 'done');
    expect(logOf('turn')).toMatch(/dialog-input: ".*y/);
    expect(logOf('turn')).not.toMatch(/hook \w+ said/);

    // Nothing of the user's and nothing in the worktree.
    expect(userFiles()).toEqual(before);
    expect(await sb.git(path.join(sb.fleetHome, 'worktrees', 'repo', 'turn'), 'status', '--porcelain', '--ignored')).toBe('');
  });

  it('prompt refuses an agent still at its startup dialog and types nothing; --wait sends once it can, --force types anyway', async () => {
    fs.writeFileSync(path.join(sb.dir, 'dialog-dlg'), '');
    await ok(['create', 'dlg', '-p', 'first task']);
    expect((await row('dlg')).status).toBe('starting');
    const refused = await run(['prompt', 'dlg', 'second task']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/^error: "dlg" is starting: it has not taken its first prompt, and what you type could answer a dialog \(trust, sign-in\), so nothing was sent$/m);
    expect(refused.stderr).toContain('hint: fleet attach dlg to see it;');
    const waited = await run(['prompt', 'dlg', '--wait', '1', 'second task']);
    expect(waited.exitCode).toBe(1);
    expect(waited.stderr).toContain('"dlg" is still starting after 1 s');
    expect(logOf('dlg')).not.toContain('dialog-input');
    expect(logOf('dlg')).not.toContain('prompt:');

    // A prompt told to --wait looks again and again (one tmux call each) while the dialog is up…
    const later = execa(process.execPath, [CLI, '--verbose', 'prompt', 'dlg', '--wait', '60', 'third task'], { cwd: repo, env: { ...sb.env, ...env }, extendEnv: false, reject: false });
    let trace = '';
    later.stderr.on('data', (d) => (trace += String(d)));
    await waitFor(() => trace.split('\n').filter((l) => l.startsWith('+ tmux list-panes')).length >= 2, { what: 'the prompt to be waiting' });
    // …the user answers the dialog, and the prompt goes through once the agent can take it.
    await ok(['prompt', 'dlg', '--force', '1']);
    expect((await later).exitCode).toBe(0);
    await waitFor(() => logOf('dlg').includes('prompt: third task'), { what: 'the waiting prompt to arrive' });
    expect(logOf('dlg')).toContain('prompt: first task');
  });

  it('codex: hooks it trusts for this run only, the conversation learned from them, Esc on a request is an Interrupt', async () => {
    const configBefore = fs.readFileSync(path.join(sb.home, '.codex', 'config.toml'), 'utf8');
    await ok(['create', 'cx', '--agent', 'codex', '-p', 'please needs-perm']);
    const waiting = await untilStatus('cx', 'waiting');
    expect(waiting.state_reason).toBe('permission: Bash(touch perm-test.txt)');
    expect(logOf('cx')).not.toContain('untrusted hook');
    const argv = await argvOf('cx');
    expect(argv.slice(0, 6)).toEqual(['--no-daemon', '-c', 'disable_paste_burst=true', '-c', 'check_for_update_on_startup=false', '-c']);
    expect(argv.join(' ')).not.toContain('bypass');
    expect(waiting.conversation_id).toMatch(/^[0-9a-f-]{36}$/);
    // list remembered it: revive needs it once tmux is gone.
    const state = JSON.parse(fs.readFileSync(path.join(sb.fleetHome, 'state.json'), 'utf8')) as { agents: Array<{ branch: string; conversation_id: string }> };
    expect(state.agents.find((a) => a.branch === 'cx')!.conversation_id).toBe(waiting.conversation_id);
    // The user presses Esc in the dialog (codex fires Interrupt): back at its prompt.
    await sb.tmux('send-keys', '-t', '=fleet_repo_cx:', 'Escape');
    await untilStatus('cx', 'done');
    expect(fs.readFileSync(path.join(sb.home, '.codex', 'config.toml'), 'utf8')).toBe(configBefore);
  });

  it("gemini: hooks from fleet's extension in its own GEMINI_CLI_HOME, --skip-trust for a trusted repository; ~/.gemini untouched", async () => {
    const before = snapshotTree(path.join(sb.home, '.gemini'));
    await ok(['create', 'gm', '--agent', 'gemini', '-p', 'needs-perm here']);
    const waiting = await untilStatus('gm', 'waiting');
    expect(waiting.state_reason).toBe('permission: Shell(touch perm-test.txt)');
    const argv = await argvOf('gm');
    expect(argv).toContain('--skip-trust');
    expect(waiting.conversation_id).toBe(argv[argv.indexOf('--session-id') + 1]);
    expect(logOf('gm')).toContain(`GEMINI_CLI_HOME=${path.join(sb.fleetHome, 'agent-homes', 'gemini')}`);
    await ok(['prompt', 'gm', '--force', '1']);
    await untilStatus('gm', 'done');
    expect(snapshotTree(path.join(sb.home, '.gemini'))).toEqual(before);
  });

  it('warns before starting when the repository is not trusted yet, with the command that trusts it', async () => {
    fs.writeFileSync(path.join(sb.home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: {} }));
    const r = await ok(['fanout', '2', 'tr', '-p', 'hello']);
    const lines = r.stderr.split('\n');
    expect(lines).toContain(`warning: claude does not trust ${repo} yet, so each claude agent will stop at its "trust this folder" dialog`);
    expect(lines).toContain(`hint: trust it once: cd ${repo} && claude, answer "Yes, I trust this folder", then /exit (or answer in each agent: fleet attach BRANCH)`);
    expect(lines.filter((l) => l.startsWith('warning: claude does not trust'))).toHaveLength(1);
  });
});

describe('wait, next, notify_command', () => {
  it('wait: exit 1 on timeout naming those still at work, 0 once all are done; notify_command hears every change', async () => {
    const notes = path.join(sb.dir, 'notified');
    writeConfig(sb, `default_agent = "claude"\nnotify_command = "echo \\"$FLEET_BRANCH $FLEET_STATUS $FLEET_REASON\\" >> '${notes}'"\n`);
    await ok(['create', 'w1', '-p', 'hold on']);
    await ok(['create', 'w2', '-p', 'hold on too']);
    await untilStatus('w1', 'working');
    await untilStatus('w2', 'working');
    const timedOut = await run(['wait', '--timeout', '1']);
    expect(timedOut.exitCode).toBe(1);
    expect(timedOut.stderr).toContain('error: 2 agents still at work after 1 s: w1, w2');
    go('w1');
    const one = await run(['wait', 'w1', '--timeout', '30', '--json']);
    expect(one.exitCode).toBe(0);
    expect((JSON.parse(one.stdout) as Row[]).map((r) => [r.branch, r.status])).toEqual([['w1', 'done']]);
    expect((await run(['wait', '--timeout', '1'])).stderr).toContain('1 agent still at work after 1 s: w2');
    go('w2');
    const all = await run(['wait', '--timeout', '30']);
    expect(all.exitCode).toBe(0);
    expect(all.stdout).toMatch(/^w1 {2}done/m);
    expect(all.stdout).toMatch(/^w2 {2}done/m);
    await ok(['prompt', 'w2', 'needs-perm now']);
    await untilStatus('w2', 'waiting');
    // An agent without hooks notifies too, when it exits (tmux's pane-died hook).
    await ok(['create', 'sh1', '--agent', 'shell', '-p', 'exit 3']);
    // (A tmux built with libutempter may notice a pane's exit only when something makes it reap; fleet list does.)
    await waitFor(
      async () => {
        await run(['list', '--json']);
        return fs.existsSync(notes) && fs.readFileSync(notes, 'utf8').includes('w2 waiting') && fs.readFileSync(notes, 'utf8').includes('sh1');
      },
      { what: 'the notifications', timeout: 20_000 },
    );
    expect(fs.readFileSync(notes, 'utf8').trim().split('\n').map((l) => l.trim()).sort()).toEqual([
      'sh1 exited exit code 3',
      'w1 done',
      'w2 done',
      'w2 waiting permission: Bash(touch perm-test.txt)',
    ]);
    // Ending an agent is not news: fleet kill ends the session before its processes, so no pane dies in it.
    await ok(['kill', 'w1', '--yes']);
    expect(await waitFor(() => fs.readFileSync(notes, 'utf8').split('\n').length === 5 ? 'five lines' : null)).toBe('five lines');
  });

  it('next names the agent waiting longest, then the ones done; says when nobody waits', async () => {
    await ok(['create', 'busy', '-p', 'hold on']);
    await untilStatus('busy', 'working');
    const none = await run(['next', '--print']);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('nobody is waiting for you (1 agent: 1 working)');
    await ok(['create', 'fin', '-p', 'quick one']);
    await untilStatus('fin', 'done');
    expect((await ok(['next', '--print'])).stdout).toBe('fin');
    await ok(['create', 'ask1', '-p', 'needs-perm first']);
    await untilStatus('ask1', 'waiting');
    await ok(['create', 'ask2', '-p', 'needs-perm second']);
    await untilStatus('ask2', 'waiting');
    expect((await ok(['next', '--print'])).stdout).toBe('ask1');
    expect((await rows()).map((r) => r.branch).slice(0, 2)).toEqual(['ask1', 'ask2']);
  });
});

describe('revive', () => {
  it('after tmux kill-server, revives claude and codex agents on the same conversations', async () => {
    await ok(['create', 'rc', '-p', 'quick one']);
    await ok(['create', 'rx', '--agent', 'codex', '-p', 'quick too']);
    const c1 = (await untilStatus('rc', 'done')).conversation_id!;
    const x1 = (await untilStatus('rx', 'done')).conversation_id!;
    expect(c1).toBeTruthy();
    expect(x1).toBeTruthy();
    await sb.tmux('kill-server');
    expect((await rows()).map((r) => [r.branch, r.status, r.conversation_id])).toEqual([
      ['rc', 'missing', c1],
      ['rx', 'missing', x1],
    ]);
    expect((await ok(['list'])).stdout).toContain('2 missing agents can be revived on their conversations: fleet revive --all');
    // prune, asked by no one, keeps what could be revived.
    const pruned = await ok(['prune']);
    expect(pruned.stderr).toContain('kept "rc": its session is gone, but fleet revive rc restarts it on its conversation (fleet prune --yes drops it)');

    const revived = await ok(['revive', '--all', '--prompt', 'carry on']);
    expect(revived.stdout).toContain(`revived rc (claude, conversation ${c1})`);
    expect(revived.stdout).toContain(`revived rx (codex, conversation ${x1})`);
    const rcArgv = await argvOf('rc', 1);
    expect(rcArgv.slice(rcArgv.indexOf('--resume'), rcArgv.indexOf('--resume') + 3)).toEqual(['--resume', c1, 'carry on']);
    expect(rcArgv).not.toContain('--session-id');
    const rxArgv = await argvOf('rx', 1);
    expect(rxArgv.slice(-3)).toEqual(['resume', x1, 'carry on']);
    expect((await untilStatus('rc', 'done')).conversation_id).toBe(c1);
    expect((await untilStatus('rx', 'done')).conversation_id).toBe(x1);
    expect(logOf('rx')).toContain('prompt: carry on');
  });

  it('without a prompt a claude agent resumes at its prompt (done); an agent that cannot resume is said so', async () => {
    writeConfig(sb, 'default_agent = "claude"\n[agents.plain]\ncommand = "sleep 600"\n');
    await ok(['create', 'rc', '-p', 'quick one']);
    await ok(['create', 'pl', '--agent', 'plain', '-p', '1']);
    const c1 = (await untilStatus('rc', 'done')).conversation_id!;
    await sb.tmux('kill-server');
    const r = await run(['revive', 'rc', 'pl']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`revived rc (claude, conversation ${c1})`);
    expect(r.stderr).toContain('warning: cannot revive "pl": agent "plain" keeps no conversation fleet can resume');
    expect(r.stderr).toContain('error: 1 agent not revived: pl');
    expect((await argvOf('rc', 1)).slice(-2)).toEqual(['--resume', c1]);
    await untilStatus('rc', 'done');
    expect(logOf('rc').split('\n').filter((l) => l.startsWith('prompt:'))).toEqual(['prompt: quick one']);
  });
});
