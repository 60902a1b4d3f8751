import { describe, expect, it } from 'vitest';
import { agentEnv } from '../../src/core/agent-env.js';
import { ConfigManager } from '../../src/config/config-manager.js';
import { defaultConfig } from '../../src/config/schema.js';
import { validateConfig } from '../../src/config/validate.js';
import { BUILTIN_PROFILES, resolveProfile } from '../../src/core/profiles.js';
import { launchFileContent } from '../../src/tmux/launcher.js';

const base = { profile: { defaults: {}, own: {} }, config: {}, fleet: {}, worktree: '/w/repo/b' };

describe('agentEnv', () => {
  it("starts from the caller's environment, leaving out what tmux sets for the pane and what no shell can export", () => {
    const env = agentEnv({
      ...base,
      caller: { PATH: '/p', KEY: 'v', TMUX: '/tmp/tmux-1/default,1,0', TMUX_PANE: '%3', TERM: 'xterm-kitty', 'BASH_FUNC_f%%': '() { :; }', GONE: undefined, OLDPWD: '/x', PWD: '/where/fleet/ran' },
    });
    expect(env).toEqual({ PATH: '/p', KEY: 'v', PWD: '/w/repo/b' });
  });

  it('layers: caller < the agent kind\'s defaults < [env] < [agents.NAME.env] < FLEET_*', () => {
    const env = agentEnv({
      caller: { A: 'caller', B: 'caller', C: 'caller', D: 'caller', FLEET_BRANCH: 'the parent agent' },
      profile: { defaults: { A: 'defaults', B: 'defaults', C: 'defaults' }, own: { C: 'own' } },
      config: { B: 'config', C: 'config' },
      fleet: { FLEET_BRANCH: 'b' },
      worktree: '/w',
    });
    expect(env).toEqual({ A: 'defaults', B: 'config', C: 'own', D: 'caller', FLEET_BRANCH: 'b', PWD: '/w' });
  });
});

describe('per-profile env', () => {
  it("a profile carries its kind's defaults (also when the user replaces its command) and its own [agents.NAME.env]", () => {
    const c = defaultConfig('/h');
    const claude = BUILTIN_PROFILES.find((p) => p.name === 'claude')!;
    const defaults = claude.facts.env ?? {};
    expect(resolveProfile(c, 'claude').env).toEqual({ defaults, own: {} });
    c.agents = { claude: { command: 'my-claude', env: { X: '1' } } };
    expect(resolveProfile(c, 'claude').env).toEqual({ defaults, own: { X: '1' } });
  });
});

describe('[agents.NAME.env] for a built-in, without its command', () => {
  it("validates, and runs the built-in's own command with those variables", async () => {
    const doc = await ConfigManager.parseText('[agents.claude.env]\nDISABLE_TELEMETRY = "1"\n', '/c.toml');
    const v = validateConfig(doc, '/c.toml');
    expect(v.values.agents).toEqual({ claude: { env: { DISABLE_TELEMETRY: '1' } } });
    const c = { ...defaultConfig('/h'), claude_flags: '--model sonnet', agents: v.values.agents! };
    const claude = resolveProfile(c, 'claude');
    expect(claude.argv).toEqual(['claude', '--model', 'sonnet', '{prompt}']);
    expect(claude.builtin).toBe(true);
    expect(claude.env.own).toEqual({ DISABLE_TELEMETRY: '1' });
  });

  it('a profile of your own still needs its command', async () => {
    const doc = await ConfigManager.parseText('[agents.mytool.env]\nA = "1"\n', '/c.toml');
    expect(() => validateConfig(doc, '/c.toml')).toThrow(/^\[agents\.mytool\] in \/c\.toml has no command$/);
  });
});

describe('[env] in the config', () => {
  it('reads [env] and [agents.NAME.env] tables of strings', async () => {
    const doc = await ConfigManager.parseText('[env]\nHTTP_PROXY = "http://p:3128"\n[agents.x]\ncommand = "x"\n[agents.x.env]\nA = "1"\n', '/c.toml');
    const v = validateConfig(doc, '/c.toml');
    expect(v.warnings).toEqual([]);
    expect(v.values.env).toEqual({ HTTP_PROXY: 'http://p:3128' });
    expect(v.values.agents).toEqual({ x: { command: 'x', env: { A: '1' } } });
  });
  it.each([
    ['[env]\nA = 1\n', /^env\.A in \/c\.toml must be a string/],
    ['[env]\n"A-B" = "x"\n', /^env\.A-B in \/c\.toml must be named with letters, digits and "_"/],
    ['env = "A=1"\n', /^env in \/c\.toml must be a table of NAME = "value"/],
  ])('refuses %j', async (text, error) => {
    const doc = await ConfigManager.parseText(text, '/c.toml');
    expect(() => validateConfig(doc, '/c.toml')).toThrow(error);
  });
});

describe('the launch file', () => {
  it('holds NUL-terminated NAME=VALUE entries, an empty entry, then the prompt byte for byte', () => {
    expect(launchFileContent({ A: '1', B: 'two\nlines' }, 'do it\n')).toEqual(Buffer.from('A=1\0B=two\nlines\0\0do it\n'));
    expect(launchFileContent({}, 'p')).toEqual(Buffer.from('\0p'));
  });
});
