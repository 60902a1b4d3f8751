import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstRunNotes, geminiTrusts, geminiTrustsRepo } from '../../src/hooks/trust.js';

let dir: string;
let home: string;
let repo: string;
let worktree: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-trust-')));
  home = path.join(dir, 'home');
  repo = path.join(dir, 'src', 'repo');
  worktree = path.join(home, '.ai_fleet', 'worktrees', 'repo', 'fix');
  fs.mkdirSync(repo, { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  env = { HOME: home };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (rel: string, text: string) => {
  const p = path.join(home, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
};
const messages = async (kind: 'claude' | 'codex' | 'gemini') => (await firstRunNotes(kind, env, repo, worktree)).map((n) => n.message);

describe('claude: ~/.claude.json, read only', () => {
  it('never run here: one note, to run it once', async () => {
    expect(await messages('claude')).toEqual(['claude has not finished its first-run setup on this machine, so each agent would stop at it']);
  });

  it('a repository not trusted yet: the note names it and the one command that trusts it', async () => {
    write('.claude.json', JSON.stringify({ hasCompletedOnboarding: true, projects: { '/else': { hasTrustDialogAccepted: true } } }));
    const notes = await firstRunNotes('claude', env, repo, worktree);
    expect(notes).toEqual([
      {
        message: `claude does not trust ${repo} yet, so each claude agent will stop at its "trust this folder" dialog`,
        hint: `trust it once: cd ${repo} && claude, answer "Yes, I trust this folder", then /exit (or answer in each agent: fleet attach BRANCH)`,
      },
    ]);
  });

  it('trusted by the main repository, or by a directory above the worktree (as claude checks)', async () => {
    write('.claude.json', JSON.stringify({ hasCompletedOnboarding: true, projects: { [repo]: { hasTrustDialogAccepted: true } } }));
    expect(await messages('claude')).toEqual([]);
    write('.claude.json', JSON.stringify({ hasCompletedOnboarding: true, projects: { [home]: { hasTrustDialogAccepted: true } } }));
    expect(await messages('claude')).toEqual([]);
  });

  it('an API key in the environment it was never asked about, under CLAUDE_CONFIG_DIR', async () => {
    const cfg = path.join(dir, 'cc');
    fs.mkdirSync(cfg);
    const key = 'sk-ant-api03-0123456789abcdefghijklmnop';
    fs.writeFileSync(path.join(cfg, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: { [repo]: { hasTrustDialogAccepted: true } } }));
    env = { ...env, CLAUDE_CONFIG_DIR: cfg, ANTHROPIC_API_KEY: key };
    expect(await messages('claude')).toEqual(['claude will ask whether to use the ANTHROPIC_API_KEY in your environment (its default answer, No, is remembered)']);
    fs.writeFileSync(path.join(cfg, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, customApiKeyResponses: { approved: [key.slice(-20)] }, projects: { [repo]: { hasTrustDialogAccepted: true } } }));
    expect(await messages('claude')).toEqual([]);
  });
});

describe('codex: ~/.codex/config.toml, read only', () => {
  it('trusted by its main repository path; otherwise a note with the command', async () => {
    expect((await firstRunNotes('codex', env, repo, worktree))[0]!.hint).toBe(`trust it once: cd ${repo} && codex, choose "Trust and continue", then /quit (or answer in each agent: fleet attach BRANCH)`);
    write('.codex/config.toml', `[projects."${repo}"]\ntrust_level = "trusted"\n`);
    expect(await messages('codex')).toEqual([]);
    env = { ...env, CODEX_HOME: path.join(dir, 'elsewhere') };
    expect(await messages('codex')).toHaveLength(1);
  });
});

describe('gemini: ~/.gemini/trustedFolders.json, read only', () => {
  it("uses gemini's rule: the longest matching entry wins, TRUST_PARENT covers the parent", () => {
    expect(geminiTrusts({ [repo]: 'TRUST_FOLDER' }, repo)).toBe(true);
    expect(geminiTrusts({ [path.join(repo, 'sub')]: 'TRUST_PARENT' }, repo)).toBe(true);
    expect(geminiTrusts({ [path.dirname(repo)]: 'TRUST_FOLDER', [repo]: 'DO_NOT_TRUST' }, repo)).toBe(false);
    expect(geminiTrusts({ [`${repo}-other`]: 'TRUST_FOLDER' }, repo)).toBe(false);
    expect(geminiTrusts({}, repo)).toBe(false);
  });

  it('not set up, not trusted, trusted, or folder trust switched off', async () => {
    expect((await messages('gemini'))[0]).toMatch(/^gemini has not been set up on this machine/);
    write('.gemini/settings.json', '{}');
    expect(await messages('gemini')).toEqual([`gemini does not trust ${repo} yet, so each gemini agent will stop at its "trust this folder" dialog`]);
    write('.gemini/trustedFolders.json', JSON.stringify({ [repo]: 'TRUST_FOLDER' }));
    expect(geminiTrustsRepo(env, repo)).toBe(true);
    expect(await messages('gemini')).toEqual([]);
    write('.gemini/trustedFolders.json', '{}');
    write('.gemini/settings.json', JSON.stringify({ security: { folderTrust: { enabled: false } } }));
    expect(geminiTrustsRepo(env, repo)).toBe(true);
  });
});
