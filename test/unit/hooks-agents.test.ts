import { describe, expect, it } from 'vitest';
import {
  CLAUDE_EVENTS,
  claudeSettings,
  codexHookArgs,
  codexTrustHash,
  geminiHooksJson,
  resumeArgv,
  snakeCase,
  withFlags,
} from '../../src/hooks/agents.js';
import { hookCommand, paneDiedCommand } from '../../src/hooks/hook-script.js';
import { opencodeConfigContent } from '../../src/hooks/opencode-plugin.js';

const SCRIPT = '/home/u/.ai_fleet/hooks/fleet-hook-0123456789ab.sh';

describe('claude hooks', () => {
  it('are --settings JSON: one handler per event, the tool-call one async, SessionStart not on compact', () => {
    const s = JSON.parse(claudeSettings(SCRIPT)) as { hooks: Record<string, Array<{ matcher?: string; hooks: Array<Record<string, unknown>> }>> };
    expect(Object.keys(s.hooks)).toEqual(CLAUDE_EVENTS.map((e) => e.event));
    expect(s.hooks.PermissionRequest).toEqual([{ hooks: [{ type: 'command', command: `sh ${SCRIPT} waiting PermissionRequest`, timeout: 10 }] }]);
    expect(s.hooks.PostToolUse![0]!.hooks[0]).toMatchObject({ async: true, command: `sh ${SCRIPT} working PostToolUse` });
    expect(s.hooks.Stop![0]!.hooks[0]!.async).toBeUndefined();
    expect(s.hooks.SessionStart![0]!.matcher).toBe('startup|resume|clear');
  });
});

describe('codex hooks', () => {
  it("hash a hook the way codex 0.171.0 does (the hash it stored itself for a hook it was told to trust)", () => {
    // From a real codex config.toml after "Trust all": command "/tmp/x/rec.sh codex-Stop", no timeout (600).
    expect(codexTrustHash('Stop', '/tmp/x/rec.sh codex-Stop', 600)).toBe('sha256:2834090fb3144709e81543396cf5ba9f1dfc66fe27807499bdd13e82be3c778b');
    expect(snakeCase('UserPromptSubmit')).toBe('user_prompt_submit');
  });

  it('are -c overrides plus the trust entries for exactly those hooks, for this run only', () => {
    const args = codexHookArgs(SCRIPT);
    expect(args.filter((a, i) => i % 2 === 0).every((a) => a === '-c')).toBe(true);
    const values = args.filter((_, i) => i % 2 === 1);
    expect(values[0]).toBe(`hooks.SessionStart=[{hooks=[{type="command",command="sh ${SCRIPT} working SessionStart",timeout=10}]}]`);
    expect(values).toContain(`hooks.Interrupt=[{hooks=[{type="command",command="sh ${SCRIPT} done Interrupt",timeout=3}]}]`);
    const state = values[values.length - 1]!;
    expect(state).toContain(`"/<session-flags>/config.toml:stop:0:0"={trusted_hash="${codexTrustHash('Stop', `sh ${SCRIPT} done Stop`, 10)}"}`);
    expect(state).toContain(`"/<session-flags>/config.toml:interrupt:0:0"={trusted_hash="${codexTrustHash('Interrupt', `sh ${SCRIPT} done Interrupt`, 3)}"}`);
    expect(args.join(' ')).not.toContain('bypass');
  });

  it('quote a script path that needs it, for sh and for TOML alike', () => {
    const odd = `/home/o'b "x"/hook.sh`;
    expect(hookCommand(odd, 'done', 'Stop')).toBe(`sh '/home/o'\\''b "x"/hook.sh' done Stop`);
    expect(codexHookArgs(odd)[1]).toContain(`command="sh '/home/o'\\\\''b \\"x\\"/hook.sh' working SessionStart"`);
  });
});

describe('gemini and opencode hooks', () => {
  it('gemini: an extension hooks.json, the dialog matched by its notification type', () => {
    const h = JSON.parse(geminiHooksJson(SCRIPT)) as { hooks: Record<string, unknown[]> };
    expect(Object.keys(h.hooks)).toEqual(['SessionStart', 'BeforeAgent', 'Notification', 'AfterTool', 'AfterAgent']);
    expect(h.hooks.Notification).toEqual([{ matcher: 'ToolPermission', hooks: [{ type: 'command', command: `sh ${SCRIPT} waiting Notification` }] }]);
  });

  it("opencode: the plugin added to the user's OPENCODE_CONFIG_CONTENT, never replacing it", () => {
    expect(JSON.parse(opencodeConfigContent('/f/p.js', undefined)!)).toEqual({ plugin: ['file:///f/p.js'] });
    expect(JSON.parse(opencodeConfigContent('/f/p.js', '{"model":"x","plugin":["a"]}')!)).toEqual({ model: 'x', plugin: ['a', 'file:///f/p.js'] });
    expect(opencodeConfigContent('/f/p.js', 'not json')).toBeNull();
    expect(opencodeConfigContent('/f/p.js', '[1]')).toBeNull();
  });
});

describe('argv', () => {
  it("puts a kind's flags right after its program, even behind a wrapper", () => {
    expect(withFlags('claude', ['claude', '--model', 'opus', '{prompt}'], ['--x'])).toEqual(['claude', '--x', '--model', 'opus', '{prompt}']);
    expect(withFlags('codex', ['npx', '-y', '/opt/bin/codex', '{prompt}'], ['-c', 'a=1'])).toEqual(['npx', '-y', '/opt/bin/codex', '-c', 'a=1', '{prompt}']);
    expect(withFlags('gemini', ['mygem', '{prompt}'], ['--x'])).toEqual(['mygem', '--x', '{prompt}']);
  });

  it('resumes in place of the prompt, with or without a new prompt, by id or the last of the directory', () => {
    const P = '{prompt}';
    expect(resumeArgv('claude', ['claude', '--model', 'opus', P], 'abc', false, P)).toEqual(['claude', '--model', 'opus', '--resume', 'abc']);
    expect(resumeArgv('claude', ['claude', P], 'abc', true, P)).toEqual(['claude', '--resume', 'abc', P]);
    expect(resumeArgv('codex', ['codex', P], 'abc', true, P)).toEqual(['codex', 'resume', 'abc', P]);
    expect(resumeArgv('codex', ['codex', P], null, false, P)).toEqual(['codex', 'resume', '--last']);
    expect(resumeArgv('gemini', ['gemini', '--prompt-interactive', P], 'abc', false, P)).toEqual(['gemini', '--resume', 'abc']);
    expect(resumeArgv('gemini', ['gemini', '--prompt-interactive', P], 'abc', true, P)).toEqual(['gemini', '--resume', 'abc', '--prompt-interactive', P]);
    expect(resumeArgv('opencode', ['opencode', '--prompt', P], null, false, P)).toEqual(['opencode', '--continue']);
  });

  it("the pane-died hook is one tmux command whose path survives tmux's and sh's quoting", () => {
    expect(paneDiedCommand('/h/a b/$x "#1".sh')).toBe(`run-shell -b "sh '/h/a b/\\$x \\"##1\\".sh' exited pane-died #{pane_id} #{pane_dead_status} #{pane_dead_signal}"`);
  });
});
