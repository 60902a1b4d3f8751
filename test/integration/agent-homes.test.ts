import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, snapshotTree, waitFor, type Sandbox } from '../helpers/sandbox.js';
import { ensureGeminiHome, GEMINI_EXTENSION } from '../../src/hooks/gemini-home.js';
import { ensureHookScript } from '../../src/hooks/hook-script.js';
import { ensureOpencodePlugin } from '../../src/hooks/opencode-plugin.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

describe("gemini's home for fleet's agents (GEMINI_CLI_HOME)", () => {
  function userGemini(): string {
    const g = path.join(sb.home, '.gemini');
    for (const [rel, text] of Object.entries({
      'settings.json': '{"security":{"auth":{"selectedType":"gemini-api-key"}}}',
      'oauth_creds.json': '{"token":"t"}',
      'projects.json': '{"projects":{"/home/u/p":"p"}}',
      'tmp/p/.project_root': '/home/u/p',
      'extensions/theirs/gemini-extension.json': '{"name":"theirs","version":"1"}',
      'extensions/extension-enablement.json': '{}',
    })) {
      fs.mkdirSync(path.dirname(path.join(g, rel)), { recursive: true });
      fs.writeFileSync(path.join(g, rel), text);
    }
    return g;
  }

  it("is the user's ~/.gemini by links, plus fleet's own project list and its hooks extension; nothing of the user's is written", () => {
    const g = userGemini();
    const before = snapshotTree(g);
    const script = ensureHookScript(sb.fleetHome);
    const gh = ensureGeminiHome(sb.fleetHome, sb.env, script)!;
    expect(gh).toEqual({ home: path.join(sb.fleetHome, 'agent-homes', 'gemini'), trustedFolders: path.join(g, 'trustedFolders.json') });
    const d = path.join(gh.home, '.gemini');
    for (const e of ['settings.json', 'oauth_creds.json', 'tmp']) expect(fs.readlinkSync(path.join(d, e))).toBe(path.join(g, e));
    expect(fs.existsSync(path.join(d, 'projects.json'))).toBe(false);
    expect(fs.readlinkSync(path.join(d, 'extensions', 'theirs'))).toBe(path.join(g, 'extensions', 'theirs'));
    expect(fs.readlinkSync(path.join(d, 'extensions', 'extension-enablement.json'))).toBe(path.join(g, 'extensions', 'extension-enablement.json'));
    const hooks = JSON.parse(fs.readFileSync(path.join(d, 'extensions', GEMINI_EXTENSION, 'hooks', 'hooks.json'), 'utf8')) as { hooks: Record<string, unknown> };
    expect(JSON.stringify(hooks.hooks.AfterAgent)).toContain(`sh ${script} done AfterAgent`);
    expect(JSON.parse(fs.readFileSync(path.join(d, 'extensions', GEMINI_EXTENSION, 'gemini-extension.json'), 'utf8'))).toMatchObject({ name: GEMINI_EXTENSION });
    expect(snapshotTree(g)).toEqual(before);
  });

  it("gives a file gemini replaced in fleet's home back to the user's, and drops links to what the user removed", () => {
    const g = userGemini();
    const script = ensureHookScript(sb.fleetHome);
    const d = path.join(ensureGeminiHome(sb.fleetHome, sb.env, script)!.home, '.gemini');
    // gemini saves some files by rename, which turns the link into a file of its own.
    fs.rmSync(path.join(d, 'oauth_creds.json'));
    fs.writeFileSync(path.join(d, 'oauth_creds.json'), '{"token":"stale copy"}');
    fs.rmSync(path.join(g, 'extensions', 'theirs'), { recursive: true });
    ensureGeminiHome(sb.fleetHome, sb.env, script);
    expect(fs.readlinkSync(path.join(d, 'oauth_creds.json'))).toBe(path.join(g, 'oauth_creds.json'));
    expect(fs.existsSync(path.join(d, 'extensions', 'theirs'))).toBe(false);
    expect(fs.existsSync(path.join(d, 'extensions', GEMINI_EXTENSION, 'hooks', 'hooks.json'))).toBe(true);
  });

  it('is not made when gemini was never set up (its sign-in would land in fleet\'s directory)', () => {
    expect(ensureGeminiHome(sb.fleetHome, sb.env, ensureHookScript(sb.fleetHome))).toBeNull();
    expect(fs.existsSync(path.join(sb.fleetHome, 'agent-homes'))).toBe(false);
  });
});

describe("fleet's opencode plugin", () => {
  it("turns opencode's events (as opencode 1.18.33 sent them) into the agent's state, ignoring a sub-agent's", async () => {
    const fix = (n: string) => JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'hooks', 'opencode', `${n}.json`), 'utf8')) as Record<string, unknown>;
    expect((await sb.tmux('new-session', '-d', '-s', 'oc', 'sleep 600')).exitCode).toBe(0);
    const pane = (await sb.tmux('display', '-p', '-t', '=oc:', '#{pane_id}')).stdout;
    const socket = (await sb.tmux('display', '-p', '#{socket_path}')).stdout;
    const plugin = ensureOpencodePlugin(sb.fleetHome, ensureHookScript(sb.fleetHome));
    const saved = { TMUX: process.env.TMUX, TMUX_PANE: process.env.TMUX_PANE, TMUX_TMPDIR: process.env.TMUX_TMPDIR };
    Object.assign(process.env, { TMUX: `${socket},1,0`, TMUX_PANE: pane, TMUX_TMPDIR: sb.env.TMUX_TMPDIR });
    try {
      const mod = (await import(pathToFileURL(plugin).href)) as { FleetStatus: () => Promise<{ event: (a: { event: unknown }) => Promise<unknown> }> };
      const hooks = await mod.FleetStatus();
      const opt = async (n: string) => (await sb.tmux('display', '-p', '-t', pane, `#{@fleet_${n}}`)).stdout;
      await hooks.event({ event: fix('session.created') });
      await hooks.event({ event: fix('session.status.busy') });
      expect([await opt('state'), await opt('conversation')]).toEqual(['working', 'ses_de22972ebffeBstuErm2JdKdG7']);
      await hooks.event({ event: fix('permission.asked') });
      expect([await opt('state'), await opt('reason')]).toEqual(['waiting', 'permission: external_directory(touch /tmp/x/outside-perm.txt)']);
      await hooks.event({ event: fix('permission.replied') });
      expect(await opt('state')).toBe('working');
      // A sub-agent's session going idle is not the agent's turn ending.
      await hooks.event({ event: { type: 'session.idle', properties: { sessionID: 'ses_child' } } });
      expect(await opt('state')).toBe('working');
      await hooks.event({ event: fix('session.idle') });
      await waitFor(async () => (await opt('state')) === 'done', { what: 'done' });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
