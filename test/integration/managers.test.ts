import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';
import { run } from '../../src/process/runner.js';
import { copyFiles } from '../../src/git/copy-files.js';
import { branchExists, resolveCommit } from '../../src/git/refs.js';
import { repoInfo } from '../../src/git/repo.js';
import { addWorktree, listWorktrees, removeWorktree } from '../../src/git/worktrees.js';
import { hasSession, killSession, listPanes, newSession, readPane } from '../../src/tmux/sessions.js';
import { StateManager } from '../../src/state/state-manager.js';
import type { AgentRecord } from '../../src/state/types.js';

let sb: Sandbox;
const saved = { ...process.env };

beforeEach(async () => {
  sb = await makeSandbox();
  // The managers run in this process: point it at the sandbox's tmux server and homes.
  for (const [k, v] of Object.entries(sb.env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
afterEach(async () => {
  await sb.cleanup();
  process.env = { ...saved };
});

describe('git worktrees', () => {
  it('creates a worktree on a new branch from a base, lists it, and removes it', async () => {
    const repo = await sb.repo();
    const info = await repoInfo(run, repo);
    expect(info).toMatchObject({ root: repo, name: 'repo' });
    const base = (await resolveCommit(run, repo, 'HEAD'))!;
    const root = path.join(sb.dir, 'wt');
    const dir = path.join(root, 'repo', 'feat', 'x');
    await addWorktree(run, repo, { dir, branch: 'feat/x', newBranch: true, base });
    expect((await listWorktrees(run, repo)).map((w) => [w.path, w.branch])).toContainEqual([dir, 'feat/x']);
    expect((await repoInfo(run, dir)).root).toBe(repo);
    await removeWorktree(run, repo, dir, { worktreeRoot: root, force: false });
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(path.join(root, 'repo'))).toBe(false); // empty parents go too
    expect(await branchExists(run, repo, 'feat/x')).toBe(true);
  });

  it('never removes the main worktree or one outside worktree_root', async () => {
    const repo = await sb.repo();
    await expect(removeWorktree(run, repo, repo, { worktreeRoot: sb.dir, force: true })).rejects.toThrow(/main worktree/);
    const outside = path.join(sb.dir, 'elsewhere');
    await addWorktree(run, repo, { dir: outside, branch: 'o', newBranch: true, base: 'HEAD' });
    await expect(removeWorktree(run, repo, outside, { worktreeRoot: path.join(sb.dir, 'wt'), force: true })).rejects.toThrow(/outside worktree_root/);
    expect(fs.existsSync(outside)).toBe(true);
  });

  it('copies credential files and globs keeping their mode, notes missing ones, refuses escapes', async () => {
    const repo = await sb.repo('repo', { 'README.md': 'x', '.gitignore': '.env\nconfig/*.local.json\n' });
    fs.writeFileSync(path.join(repo, '.env'), 'SECRET=1');
    fs.chmodSync(path.join(repo, '.env'), 0o600);
    fs.mkdirSync(path.join(repo, 'config'));
    fs.writeFileSync(path.join(repo, 'config', 'a.local.json'), '{}');
    fs.chmodSync(path.join(repo, 'config', 'a.local.json'), 0o640);
    const wt = path.join(sb.dir, 'wt');
    fs.mkdirSync(wt);
    const r = copyFiles(repo, wt, ['.env', 'config/*.local.json', 'missing.txt']);
    expect(r.copied).toEqual(['.env', 'config/a.local.json']);
    expect(r.notes).toEqual([expect.stringMatching(/"missing\.txt" not found/)]);
    expect(fs.statSync(path.join(wt, '.env')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(wt, 'config', 'a.local.json')).mode & 0o777).toBe(0o640);
    expect(() => copyFiles(repo, wt, ['../outside'])).toThrow(/outside the repository/);
    expect(() => copyFiles(repo, wt, ['/etc/passwd'])).toThrow(/outside the repository/);
    fs.symlinkSync('/etc/hostname', path.join(repo, 'link'));
    expect(() => copyFiles(repo, wt, ['link'])).toThrow(/points outside the repository/);
  });
});

describe('tmux sessions', () => {
  it('targets sessions exactly: fix-1 never reaches fix-10', async () => {
    await newSession(run, { name: 'fix-10', cwd: sb.dir, argv: ['sleep', '60'], options: { branch: 'fix-10' } });
    expect(await hasSession(run, 'fix-1')).toBe(false);
    expect(await killSession(run, 'fix-1')).toBe(false);
    expect(await hasSession(run, 'fix-10')).toBe(true);
    const panes = await listPanes(run);
    expect(panes.map((p) => [p.session, p.fleet.branch, p.dead])).toEqual([['fix-10', 'fix-10', false]]);
  });

  it('keeps the pane of an agent that exits at once, with its exit status', async () => {
    await newSession(run, { name: 'quick', cwd: sb.dir, argv: ['bash', '-c', 'exit 4'], options: {} });
    const pane = await waitFor(async () => (await listPanes(run)).find((p) => p.session === 'quick' && p.dead && p.deadStatus !== null));
    expect(pane.deadStatus).toBe(4);
    expect(await readPane(run, 'quick')).toEqual({ lines: [], dead: true, exitStatus: 4, exitSignal: null });
  });

  it('keeps the output of an agent that has exited', async () => {
    // Not at once: Linux can drop what a program wrote to its pty just before it exited, if tmux
    // reads the pty only after the exit (seen under load) — a race of the kernel, not of fleet.
    await newSession(run, { name: 'said', cwd: sb.dir, argv: ['bash', '-c', 'echo bye; sleep 0.3; exit 5'], options: {} });
    const screen = await waitFor(async () => {
      const pane = await readPane(run, 'said');
      return pane && pane.dead ? pane : null;
    }, { timeout: 15_000 });
    expect(screen).toEqual({ lines: ['bye'], dead: true, exitStatus: 5, exitSignal: null });
    expect(await readPane(run, 'no-such-session')).toBeNull();
  });

  it('reports no panes (not an error) when no server runs', async () => {
    expect(await listPanes(run)).toEqual([]);
  });
});

describe('StateManager', () => {
  const rec = (branch: string): AgentRecord => ({
    repo: '/r', repo_name: 'r', branch, batch_id: null, agent: 'shell', session: `s_${branch}`, worktree: `/w/${branch}`,
    base_commit: 'abc', base_ref: 'main', created_branch: true, copied_files: [], created_at: new Date().toISOString(),
    prompt_preview: '', phase: 'ready', owner_pid: null,
  });

  it('loses no record under many concurrent read-modify-writes, and the file is 0600', async () => {
    const state = new StateManager(path.join(sb.dir, 'home'));
    await Promise.all(Array.from({ length: 25 }, (_, i) => state.update((a) => [...a, rec(`b${i}`)])));
    const all = await state.read();
    expect(all.map((a) => a.branch).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `b${i}`).sort());
    expect(fs.statSync(state.file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(state.file)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('moves a corrupt file aside, warns once, and rebuilds from the given source', async () => {
    const home = path.join(sb.dir, 'home');
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, 'state.json'), '{"version":1,"agents":[{"repo":');
    const warnings: string[] = [];
    const state = new StateManager(home, { rebuild: async () => [rec('from-tmux')], warn: (m) => warnings.push(m) });
    expect((await state.read()).map((a) => a.branch)).toEqual(['from-tmux']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/moved it to state\.json\.corrupt-/);
    const aside = fs.readdirSync(home).filter((f) => f.startsWith('state.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(home, aside[0]!), 'utf8')).toBe('{"version":1,"agents":[{"repo":');
    expect(JSON.parse(fs.readFileSync(path.join(home, 'state.json'), 'utf8')).agents).toHaveLength(1);
  });
});
