import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { ConfigManager } from '../../src/config/config-manager.js';
import { defaultConfig } from '../../src/config/schema.js';
import { agentArgv, launchPlanFor, resolveProfile } from '../../src/core/profiles.js';
import { setKeyInText } from '../../src/config/edit.js';
import { FleetError } from '../../src/errors.js';

describe('validateConfig', () => {
  it('accepts every known key with the right type', () => {
    const v = validateConfig(
      { default_agent: 'shell', max_parallel: 2, credential_files: ['.env'], setup_commands: ['npm ci'], claude_flags: '--x', agents: { t: { command: 'tool {prompt}' } } },
      'c.toml',
    );
    expect(v.warnings).toEqual([]);
    expect(v.values).toMatchObject({ default_agent: 'shell', max_parallel: 2, agents: { t: { command: 'tool {prompt}' } } });
  });
  it('names the key and the expected type on a type error', () => {
    expect(() => validateConfig({ max_parallel: 'x' }, 'c.toml')).toThrow(/max_parallel in c\.toml must be a whole number, not the string "x"/);
    expect(() => validateConfig({ credential_files: '.env' }, 'c.toml')).toThrow(/credential_files .* must be an array of strings/);
    expect(() => validateConfig({ max_parallel: 0 }, 'c.toml')).toThrow(/from 1 to 64/);
  });
  it('warns about unknown keys, naming them', () => {
    expect(validateConfig({ defualt_agent: 'x' }, 'c.toml').warnings).toEqual(['unknown key "defualt_agent" in c.toml (ignored)']);
  });
});

describe('ConfigManager.parseText', () => {
  it('reports file, line and column of a syntax error', async () => {
    const err = await ConfigManager.parseText('default_agent = "shell"\nmax_parallel = = 3\n', '/x/config.toml').catch((e) => e);
    expect(err).toBeInstanceOf(FleetError);
    expect(err.message).toMatch(/^\/x\/config\.toml:2:\d+: invalid TOML/);
  });
});

describe('profiles', () => {
  it('claude honours claude_flags; a user profile replaces a built-in', () => {
    const c = { ...defaultConfig('/h'), claude_flags: '--model sonnet' };
    expect(resolveProfile(c, 'claude').argv).toEqual(['claude', '--model', 'sonnet', '{prompt}']);
    c.agents = { claude: { command: 'my-claude --fast' } };
    // A profile that replaces a built-in keeps the kind's facts: its hooks (hooks = "none" drops them) and environment defaults.
    expect(resolveProfile(c, 'claude')).toEqual({
      name: 'claude',
      argv: ['my-claude', '--fast'],
      builtin: false,
      env: { defaults: { DISABLE_AUTOUPDATER: '1' }, own: {} },
      hooks: 'claude',
      resume: null,
    });
  });
  it('refuses an unknown profile with the list of known ones', () => {
    expect(() => resolveProfile(defaultConfig('/h'), 'nope')).toThrow(/unknown agent profile "nope"/);
  });
});

describe('launch plans', () => {
  it('appends the prompt as the last argument when there is no {prompt}', () => {
    expect(agentArgv(launchPlanFor(['tool', '--yes']), 'do it')).toEqual(['tool', '--yes', 'do it']);
  });
  it('puts the prompt in place of {prompt}, inside a larger argument too', () => {
    expect(agentArgv(launchPlanFor(['tool', '--message={prompt}!', '-v']), "it's")).toEqual(['tool', "--message=it's!", '-v']);
  });
});

describe('setKeyInText', () => {
  it('replaces a commented default in place and keeps the comments', () => {
    const text = '# comment\n# max_parallel = 4\n\n# [agents.x]\n';
    expect(setKeyInText(text, 'max_parallel', 8)).toBe('# comment\nmax_parallel = 8\n\n# [agents.x]\n');
  });
  it('adds top-level keys before the first table and agent commands in their table', () => {
    const text = 'a = 1\n[agents.t]\ncommand = "old"\n';
    const out = setKeyInText(setKeyInText(text, 'setup_commands', ['npm ci']), 'agents.t.command', 'new {prompt}');
    expect(out).toBe('a = 1\nsetup_commands = ["npm ci"]\n\n[agents.t]\ncommand = "new {prompt}"\n');
  });
  it('sets a variable in [env] or [agents.NAME.env], making the table when it is missing', () => {
    const text = 'max_parallel = 2\n\n[env]  # for every agent\nA = "1"\n\n[agents.t]\ncommand = "t"\n';
    const out = setKeyInText(setKeyInText(setKeyInText(text, 'env.B', '2'), 'env.A', 'one'), 'agents.t.env.X', 'x');
    expect(out).toBe('max_parallel = 2\n\n[env]  # for every agent\nB = "2"\nA = "one"\n\n[agents.t]\ncommand = "t"\n\n[agents.t.env]\nX = "x"\n');
  });
});
