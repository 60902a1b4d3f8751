import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, standIn, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
});
afterEach(async () => {
  await sb.cleanup();
});

/** The environment a stand-in agent recorded (`env -0`), as a map. */
function recordedEnv(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readFileSync(file, 'utf8').split('\0')) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/** Every command line on the machine, sampled until `until` settles: what `ps` shows any user. */
async function sampleCommandLines(until: Promise<unknown>): Promise<string[]> {
  let done = false;
  void until.finally(() => (done = true));
  const seen: string[] = [];
  do seen.push((await execa('ps', ['-eo', 'args'], { reject: false })).stdout);
  while (!done);
  seen.push((await execa('ps', ['-eo', 'args'], { reject: false })).stdout);
  return seen;
}

describe("the agent's environment", () => {
  it("is the caller's shell's (not the tmux server's), with [env], [agents.NAME.env] and FLEET_* on top, and no value on any command line", async () => {
    // The user's tmux server was started days ago, from another shell: no keys, a variable since gone.
    await execa('tmux', ['new-session', '-d', '-s', 'old', 'sleep 600'], {
      env: { PATH: process.env.PATH, HOME: sb.home, TMUX_TMPDIR: sb.env.TMUX_TMPDIR, TERM: 'xterm', STALE_FROM_SERVER: 'old shell' },
      extendEnv: false,
    });

    const out = path.join(sb.dir, 'agent-env');
    const agent = standIn(sb, 'rec', `env -0 > ${out}.tmp && mv ${out}.tmp ${out}; exec sleep 300`);
    writeConfig(
      sb,
      [
        'default_agent = "rec"',
        '[env]',
        'FROM_CONFIG = "every agent"',
        'LAYERED = "config [env]"',
        '[agents.rec]',
        `command = "${agent}"`,
        '[agents.rec.env]',
        'LAYERED = "profile env"',
        'FROM_PROFILE = "rec only"',
      ].join('\n') + '\n',
    );

    const key = `sk-ant-fake-${path.basename(sb.dir)}-value`;
    const proxy = `http://user:pw-${path.basename(sb.dir)}@proxy.invalid:3128`;
    // What the user's shell has and the agent must get as it is.
    const passed = {
      ANTHROPIC_API_KEY: key,
      OPENAI_API_KEY: `${key}-openai`,
      COLORTERM: 'truecolor',
      HTTPS_PROXY: proxy,
      https_proxy: proxy,
      NO_PROXY: 'localhost,127.0.0.1',
      MULTI_LINE: 'line one\nline two\n',
      QUOTES: `it's "quoted" $(not run) \`nor this\``,
    };
    const caller: Record<string, string | undefined> = { ...sb.env, ...passed, LAYERED: 'caller', TERM: 'xterm-kitty' };
    const create = execa(process.execPath, [CLI, 'create', 'envy', '-p', 'go'], { cwd: repo, env: caller, extendEnv: false, reject: false });
    const commandLines = await sampleCommandLines(create);
    const r = await create;
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);

    await waitFor(() => fs.existsSync(out), { what: 'the agent to record its environment' });
    commandLines.push(...(await sampleCommandLines(Promise.resolve()))); // the agent itself, running
    for (const lines of commandLines) {
      expect(lines).not.toContain(key);
      expect(lines).not.toContain(path.basename(sb.dir) + '@proxy');
      expect(lines).not.toContain('every agent');
    }

    const env = recordedEnv(out);
    const worktree = path.join(sb.fleetHome, 'worktrees', 'repo', 'envy');
    expect(env).toMatchObject({
      ...passed,
      PATH: caller.PATH,
      HOME: sb.home,
      FROM_CONFIG: 'every agent',
      FROM_PROFILE: 'rec only',
      LAYERED: 'profile env',
      FLEET_BRANCH: 'envy',
      FLEET_REPO: repo,
      FLEET_WORKTREE: worktree,
      FLEET_AGENT: 'rec',
      FLEET_BATCH: '',
      PWD: worktree,
    });
    expect(env.STALE_FROM_SERVER).toBeUndefined();
    // tmux's own, for this pane: its server and pane, and the terminal tmux emulates.
    expect(env.TMUX_PANE).toMatch(/^%\d+$/);
    expect(env.TMUX).toContain(sb.env.TMUX_TMPDIR);
    expect(env.TERM).not.toBe('xterm-kitty');
    // Exactly that: nothing else from the tmux server (bash adds SHLVL and _ for the program it runs).
    const expected = new Set([
      ...Object.keys(caller).filter((k) => caller[k] !== undefined),
      'FROM_CONFIG', 'FROM_PROFILE', 'FLEET_BRANCH', 'FLEET_REPO', 'FLEET_WORKTREE', 'FLEET_AGENT', 'FLEET_BATCH', 'PWD',
      'TMUX', 'TMUX_PANE', 'SHLVL', '_',
    ]);
    expect(Object.keys(env).filter((k) => !expected.has(k))).toEqual([]);
    expect(fs.readdirSync(path.join(sb.fleetHome, 'run'))).toEqual([]); // the launch file is gone
  });

  it('setup commands get the same environment', async () => {
    const out = path.join(sb.dir, 'setup-env');
    writeConfig(sb, `default_agent = "shell"\nsetup_commands = ["env -0 > ${out}"]\n[env]\nFROM_CONFIG = "yes"\n`);
    const r = await fleet(sb, ['create', 'with-setup', '-p', 'sleep 300'], { cwd: repo, env: { ANTHROPIC_API_KEY: 'fake-key' } });
    expect(r.exitCode).toBe(0);
    expect(recordedEnv(out)).toMatchObject({ ANTHROPIC_API_KEY: 'fake-key', FROM_CONFIG: 'yes', FLEET_BRANCH: 'with-setup', FLEET_AGENT: 'shell' });
  });
});
