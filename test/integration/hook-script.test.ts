import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';
import { ensureHookScript, ensureNotifyFile, paneDiedCommand } from '../../src/hooks/hook-script.js';

/**
 * fleet's hook script, run the way the agents run it (`sh FILE STATE EVENT`, the payload the
 * real CLIs sent on stdin, TMUX and TMUX_PANE inherited from the pane), against a real tmux
 * server; under dash (Debian's sh) and bash.
 */
const FIX = path.join(import.meta.dirname, '..', 'fixtures', 'hooks');
const payload = (agent: string, name: string) => fs.readFileSync(path.join(FIX, agent, `${name}.json`), 'utf8').trim();

let sb: Sandbox;
let script: string;
let pane: string;
let hookEnv: Record<string, string | undefined>;
const SESSION = 'fleet_repo_feat';

async function tmux(...args: string[]): Promise<string> {
  const r = await sb.tmux(...args);
  expect(r.exitCode, `tmux ${args.join(' ')}`).toBe(0);
  return r.stdout;
}

async function opt(name: string): Promise<string> {
  return tmux('display', '-p', '-t', pane, `#{@fleet_${name}}`);
}

async function startPane(): Promise<void> {
  await tmux('new-session', '-d', '-s', SESSION, '-x', '120', '-y', '30', 'sleep 600');
  await tmux('set', '-t', `=${SESSION}:`, '@fleet_branch', 'feat/x');
  await tmux('set', '-t', `=${SESSION}:`, '@fleet_repo', '/src/my repo');
  pane = await tmux('display', '-p', '-t', `=${SESSION}:`, '#{pane_id}');
  const socket = await tmux('display', '-p', '#{socket_path}');
  // What an agent in the pane inherits, and so do its hooks.
  hookEnv = { ...sb.env, TMUX: `${socket},1,0`, TMUX_PANE: pane };
}

beforeEach(async () => {
  sb = await makeSandbox();
  script = ensureHookScript(sb.fleetHome);
  await startPane();
});
afterEach(async () => {
  await sb.cleanup();
});

for (const shell of ['dash', 'bash']) {
  const hook = async (state: string, event: string, input: string) => {
    const r = await execa(shell, [script, state, event], { input, env: hookEnv, extendEnv: false, reject: false });
    // Hooks must print nothing: claude feeds a SessionStart/UserPromptSubmit hook's stdout to the model.
    expect({ code: r.exitCode, out: r.stdout, err: r.stderr }).toEqual({ code: 0, out: '', err: '' });
  };

  describe(`the hook script under ${shell}`, () => {
    it('follows one claude turn: prompt → working, permission dialog → waiting with the tool, tool done → working, Stop → done', async () => {
      await hook('working', 'UserPromptSubmit', payload('claude', 'UserPromptSubmit'));
      expect(await opt('state')).toBe('working');
      expect(await opt('conversation')).toBe('11111111-2222-4333-8444-555555555555');
      expect(await opt('transcript')).toBe('/tmp/x/home/.claude/projects/-tmp-x-wt-claude/11111111-2222-4333-8444-555555555555.jsonl');
      await hook('waiting', 'PermissionRequest', payload('claude', 'PermissionRequest.Bash'));
      expect([await opt('state'), await opt('reason'), await opt('event')]).toEqual(['waiting', 'permission: Bash(touch perm-test.txt)', 'PermissionRequest']);
      await hook('working', 'PostToolUse', payload('claude', 'PostToolUse.Bash'));
      expect([await opt('state'), await opt('reason')]).toEqual(['working', '']);
      await hook('done', 'Stop', payload('claude', 'Stop'));
      expect(await opt('state')).toBe('done');
      expect(Number(await opt('state_at'))).toBeGreaterThan(Date.now() / 1000 - 60);
    });

    it('names a question, a failed turn, and the dialogs of codex and gemini', async () => {
      await hook('waiting', 'PermissionRequest', payload('claude', 'PermissionRequest.AskUserQuestion'));
      expect(await opt('reason')).toBe('question: Which color?');
      await hook('done', 'StopFailure', payload('claude', 'StopFailure'));
      expect([await opt('state'), await opt('reason')]).toEqual(['done', 'API Error: 400 mock invalid request']);
      await hook('working', 'UserPromptSubmit', payload('codex', 'UserPromptSubmit'));
      expect(await opt('conversation')).toBe('01a21dca-b4b0-7943-aad3-8d4f70cd0d00');
      await hook('waiting', 'PermissionRequest', payload('codex', 'PermissionRequest'));
      expect(await opt('reason')).toBe('permission: Bash(touch perm-test.txt)');
      await hook('done', 'Interrupt', payload('codex', 'Interrupt'));
      expect([await opt('state'), await opt('reason')]).toEqual(['done', '']);
      await hook('working', 'BeforeAgent', payload('gemini', 'BeforeAgent'));
      expect(await opt('conversation')).toBe('4c92b92f-5079-4ada-a759-0b3f3fafd27c');
      await hook('waiting', 'Notification', payload('gemini', 'Notification'));
      expect(await opt('reason')).toBe('permission: Shell(touch perm-test.txt)');
    });

    it("a tool's end that lands after the turn's Stop (claude runs it async) leaves the agent done", async () => {
      await hook('done', 'Stop', payload('claude', 'Stop'));
      await hook('working', 'PostToolUse', payload('claude', 'PostToolUse.Bash'));
      expect([await opt('state'), await opt('event')]).toEqual(['done', 'Stop']);
      await hook('working', 'UserPromptSubmit', payload('claude', 'UserPromptSubmit'));
      await hook('working', 'AfterTool', payload('gemini', 'AfterTool'));
      expect([await opt('state'), await opt('event')]).toEqual(['working', 'UserPromptSubmit']);
    });

    it('keeps the time of the last change of state, not of the last event', async () => {
      await tmux('set', '-t', pane, '@fleet_state', 'working');
      await tmux('set', '-t', pane, '@fleet_state_at', '1000');
      await hook('working', 'PostToolUse', payload('claude', 'PostToolUse.Bash'));
      expect(await opt('state_at')).toBe('1000');
      await hook('done', 'Stop', payload('claude', 'Stop'));
      expect(Number(await opt('state_at'))).toBeGreaterThan(1000);
    });

    it('runs nothing from a hostile payload, keeps it on one line, bounded, with #{…} left as text', async () => {
      const marker = path.join(sb.dir, 'PWNED');
      const command = `echo "$(touch ${marker})" \`touch ${marker}\` #{session_name} #(touch ${marker}) a\tb\u001fc\nd \\ ;`;
      await hook('waiting', 'PermissionRequest', JSON.stringify({ session_id: 's', tool_name: 'Bash', tool_input: { command } }));
      // Raw control characters (not even valid JSON) and the list-panes field separator.
      await hook('waiting', 'PermissionRequest', `{"session_id":"s","tool_name":"Ba\x1fsh\n","tool_input":{"command":"x\ny\x1bz;"}}`);
      expect(await opt('reason')).toBe('permission: Bash(xyz;)');
      await hook('waiting', 'PermissionRequest', JSON.stringify({ session_id: 's', tool_name: 'Bash', tool_input: { command } }));
      const reason = await opt('reason');
      // JSON escapes decoded: tab and newline as spaces, other \u escapes as "?"; cut at 120 bytes.
      const decoded = command.replace(/[\t\n]/g, ' ').replace(/\x1f/g, '?');
      expect(reason).toBe(`permission: Bash(${decoded.length > 120 ? `${decoded.slice(0, 120)}...` : decoded})`);
      expect(reason).toContain('#{session_name}');
      expect(reason).not.toMatch(/[\x00-\x1f\x7f]/);
      // A megabyte of tool input (a Write of a big file): drained, and cut without splitting a character.
      await hook('waiting', 'PermissionRequest', JSON.stringify({ session_id: 's', tool_name: 'Write', tool_input: { file_path: `/w/${'é☃'.repeat(100)}`, content: 'x'.repeat(1 << 20) } }));
      const big = await opt('reason');
      expect(big).toMatch(/^permission: Write\(\/w\/(é☃)+é?\.\.\.\)$/);
      expect(Buffer.byteLength(big)).toBeLessThan(200);
      // A session id that is not an id is not taken.
      await hook('working', 'UserPromptSubmit', `{"session_id":"$(touch ${marker})","transcript_path":"/t.jsonl","prompt":"hi"}`);
      expect(await opt('conversation')).toBe('');
      expect(fs.existsSync(marker)).toBe(false);
      // tmux's reading of the options, one line per pane (what list parses), is unharmed.
      const lines = (await tmux('list-panes', '-a', '-F', '#{pane_id}\x1f#{@fleet_state}\x1f#{@fleet_reason}')).split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]!.split('\x1f')).toHaveLength(3);
    });

    it('on a change into waiting or done runs notify_command with the agent and the reason, once per change', async () => {
      const log = path.join(sb.dir, 'notified.log');
      const notify = ensureNotifyFile(sb.fleetHome, `echo "$FLEET_BRANCH|$FLEET_STATUS|$FLEET_REASON|$FLEET_REPO|$FLEET_SESSION" >> '${log}'`);
      await tmux('set', '-t', pane, '@fleet_notify', notify);
      await hook('working', 'UserPromptSubmit', payload('claude', 'UserPromptSubmit'));
      await hook('waiting', 'PermissionRequest', payload('claude', 'PermissionRequest.Bash'));
      await waitFor(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('waiting'), { what: 'the notification' });
      await hook('waiting', 'PermissionRequest', payload('claude', 'PermissionRequest.Bash'));
      await hook('done', 'Stop', payload('claude', 'Stop'));
      await waitFor(() => fs.readFileSync(log, 'utf8').includes('done'), { what: 'the second notification' });
      expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual([
        `feat/x|waiting|permission: Bash(touch perm-test.txt)|/src/my repo|${SESSION}`,
        `feat/x|done||/src/my repo|${SESSION}`,
      ]);
    });
  });
}

describe('notifications on the screen', () => {
  it('shows every attached client which agent needs it and why, with #{…} in the text left alone', async () => {
    const typescript = path.join(sb.dir, 'client.out');
    const client = execa('script', ['-qfec', `tmux attach -t '=${SESSION}'`, typescript], { env: { ...sb.env }, extendEnv: false, reject: false, stdin: 'pipe' });
    await waitFor(async () => (await sb.tmux('list-clients', '-F', '#{client_name}')).stdout.trim() !== '', { what: 'a client to attach' });
    const input = JSON.stringify({ session_id: 's', tool_name: 'Bash', tool_input: { command: 'rm #{session_name}' } });
    await execa('sh', [script, 'waiting', 'PermissionRequest'], { input, env: hookEnv, extendEnv: false });
    await waitFor(() => fs.existsSync(typescript) && fs.readFileSync(typescript, 'utf8').includes('fleet: feat/x (my repo) waiting: permission: Bash(rm #{session_name})'), {
      what: 'the message on the client',
    });
    client.kill();
    await client;
  });
});

describe("the session's pane-died hook", () => {
  it('records the exit status and notifies, from a fleet home whose path needs quoting', async () => {
    const home = path.join(sb.dir, `it's a "home" $HOME #1`);
    const odd = ensureHookScript(home);
    const log = path.join(sb.dir, 'died.log');
    const notify = ensureNotifyFile(home, `echo "$FLEET_BRANCH|$FLEET_STATUS|$FLEET_REASON" >> '${log}'`);
    const s = 'fleet_repo_ends';
    await tmux('new-session', '-d', '-s', s, 'sleep 0.5; exit 3', ';', 'set-option', '-w', '-t', `=${s}:`, 'remain-on-exit', 'on', ';',
      'set-option', '-t', `=${s}:`, '@fleet_branch', 'ends', ';', 'set-option', '-t', `=${s}:`, '@fleet_notify', notify, ';',
      'set-hook', '-t', `=${s}:`, 'pane-died', paneDiedCommand(odd));
    // A tmux that takes the pane's end (EOF) and its SIGCHLD apart (libutempter builds, tmux#311)
    // reaps the child, and runs pane-died, only when signalled again: what any fleet list does
    // (listPanes). A loaded machine makes that gap likely, so nudge as fleet would while polling.
    const serverPid = Number(await tmux('display', '-p', '#{pid}'));
    await waitFor(() => {
      if (fs.existsSync(log)) return true;
      process.kill(serverPid, 'SIGCHLD');
      return false;
    }, { what: 'the exit notification' });
    expect(fs.readFileSync(log, 'utf8')).toBe('ends|exited|exit code 3\n');
    const t = `=${s}:`;
    expect([await tmux('display', '-p', '-t', t, '#{@fleet_state}'), await tmux('display', '-p', '-t', t, '#{@fleet_reason}')]).toEqual(['exited', 'exit code 3']);
  });
});
