// Finding an agent's transcripts where each real agent writes them (see src/usage/locate.ts for
// where each layout was read), on a real file system.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudeProjectName, TranscriptLocator, type TranscriptOwner } from '../../src/usage/locate.js';

let dir: string;
let home: string;
let worktree: string;
const CREATED = '2026-11-27T10:00:00.000Z';
const created = Date.parse(CREATED);

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-locate-')));
  home = path.join(dir, 'home');
  worktree = path.join(dir, 'fleet', 'worktrees', 'repo', 'fix-1');
  fs.mkdirSync(worktree, { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Write a file and set its modification time. */
function file(p: string, mtime = created + 5_000, text = '{}\n'): string {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  fs.utimesSync(p, new Date(mtime), new Date(mtime));
  return p;
}

const locator = (env: Record<string, string> = {}) => new TranscriptLocator({ HOME: home, ...env }, { now: () => created + 3_600_000 });
const owner = (o: Partial<TranscriptOwner> & Pick<TranscriptOwner, 'kind'>): TranscriptOwner => ({ worktree, createdAt: CREATED, ...o });
const names = (refs: { path: string }[]) => refs.map((r) => path.relative(dir, r.path));

describe("claude: the sessions of the worktree's project directory", () => {
  it('names the directory as Claude Code 2.1.197 does (long paths cut and hashed)', () => {
    expect(claudeProjectName('/tmp/x/wt/repo/fix-1')).toBe('-tmp-x-wt-repo-fix-1');
    // Computed with the function from the claude-code 2.1.197 bundle ($E and its hash) on the same input.
    const long = '/home/someone/.ai_fleet/worktrees/' + 'very-long-repository-name/'.repeat(8) + 'feat/ünïcode-branch';
    expect(claudeProjectName(long)).toBe(
      '-home-someone--ai-fleet-worktrees-very-long-repository-name-very-long-repository-name-very-long-repository-name-very-long-repository-name-very-long-repository-name-very-long-repository-name-very-long--xgmxbd',
    );
  });

  it('takes every session written since the agent started, with its sub-agents, and none from before', () => {
    const project = path.join(home, '.claude', 'projects', claudeProjectName(worktree));
    file(path.join(project, 'old.jsonl'), created - 10_000); // the previous agent on this branch, killed 10 s before this one was made
    file(path.join(project, 'a.jsonl'));
    file(path.join(project, 'a', 'subagents', 'agent-1.jsonl'));
    file(path.join(project, 'b.jsonl')); // after /clear: a new session, paid for by the same agent
    file(path.join(project, 'notes.txt'));
    const refs = locator().locate(owner({ kind: 'claude', conversation: 'a' }));
    expect(refs.every((r) => r.kind === 'claude')).toBe(true);
    expect(names(refs)).toEqual([
      `home/.claude/projects/${claudeProjectName(worktree)}/a.jsonl`,
      `home/.claude/projects/${claudeProjectName(worktree)}/a/subagents/agent-1.jsonl`,
      `home/.claude/projects/${claudeProjectName(worktree)}/b.jsonl`,
    ]);
  });

  it('follows CLAUDE_CONFIG_DIR, and the resolved path of a worktree reached through a symlink, also once it is removed', () => {
    const link = path.join(dir, 'link');
    fs.symlinkSync(path.join(dir, 'fleet'), link);
    const through = path.join(link, 'worktrees', 'repo', 'fix-1');
    const config = path.join(dir, 'claude-config');
    file(path.join(config, 'projects', claudeProjectName(worktree), 's.jsonl'));
    const find = () => names(locator({ CLAUDE_CONFIG_DIR: config }).locate(owner({ kind: 'claude', worktree: through })));
    expect(find()).toEqual([`claude-config/projects/${claudeProjectName(worktree)}/s.jsonl`]);
    fs.rmSync(worktree, { recursive: true });
    expect(find()).toEqual([`claude-config/projects/${claudeProjectName(worktree)}/s.jsonl`]);
  });

  it("uses a hook's transcript path only inside the agent's own directory", () => {
    const elsewhere = file(path.join(dir, 'secrets', 'x.jsonl'));
    expect(locator().locate(owner({ kind: 'claude', transcript: elsewhere }))).toEqual([]);
    expect(locator().locate(owner({ kind: 'claude', transcript: path.join(home, '.claude', 'projects', '..', '..', 'secrets', 'x.jsonl') }))).toEqual([]);
    const inside = file(path.join(home, '.claude', 'projects', '-other-cwd', 's.jsonl'));
    expect(names(locator().locate(owner({ kind: 'claude', transcript: inside })))).toEqual(['home/.claude/projects/-other-cwd/s.jsonl']);
  });
});

describe('gemini: the chats of the worktree\'s project', () => {
  it("finds the project through gemini's registry (projects.json) and the older sha256 directory", () => {
    const tmp = path.join(home, '.gemini', 'tmp');
    fs.mkdirSync(path.join(home, '.gemini'), { recursive: true });
    fs.writeFileSync(path.join(home, '.gemini', 'projects.json'), JSON.stringify({ projects: { [worktree]: 'fix-1', '/elsewhere': 'fix-1-1' } }));
    file(path.join(tmp, 'fix-1', 'chats', 'session-2026-11-27T10-01-c0ffee00.jsonl'));
    file(path.join(tmp, 'fix-1', 'chats', 'session-2026-11-26T09-00-0ld0ld00.jsonl'), created - 86_400_000);
    file(path.join(tmp, 'fix-1-1', 'chats', 'session-2026-11-27T10-01-0therpr0.jsonl'));
    const hash = crypto.createHash('sha256').update(worktree).digest('hex');
    file(path.join(tmp, hash, 'chats', 'session-2026-11-27T10-02-1e9ac700.json'));
    expect(names(locator().locate(owner({ kind: 'gemini' })))).toEqual([
      'home/.gemini/tmp/fix-1/chats/session-2026-11-27T10-01-c0ffee00.jsonl',
      `home/.gemini/tmp/${hash}/chats/session-2026-11-27T10-02-1e9ac700.json`,
    ]);
  });

  it("also looks in fleet's own gemini home (hooked agents): its registry, its tmp/ linked to the user's, each file once", () => {
    const agentHome = path.join(dir, 'fleet', 'agent-homes', 'gemini');
    fs.mkdirSync(path.join(agentHome, '.gemini'), { recursive: true });
    fs.writeFileSync(path.join(agentHome, '.gemini', 'projects.json'), JSON.stringify({ projects: { [worktree]: 'fix-1' } }));
    const chat = file(path.join(home, '.gemini', 'tmp', 'fix-1', 'chats', 'session-2026-11-27T10-01-c0ffee00.jsonl'));
    fs.symlinkSync(path.join(home, '.gemini', 'tmp'), path.join(agentHome, '.gemini', 'tmp'));
    const viaLink = path.join(agentHome, '.gemini', 'tmp', 'fix-1', 'chats', path.basename(chat));
    const found = new TranscriptLocator({ HOME: home }, { geminiHomes: [agentHome] }).locate(owner({ kind: 'gemini', transcript: viaLink }));
    expect(names(found)).toEqual(['home/.gemini/tmp/fix-1/chats/session-2026-11-27T10-01-c0ffee00.jsonl']);
    // Without fleet's home, the user's registry does not know the worktree.
    expect(locator().locate(owner({ kind: 'gemini' }))).toEqual([]);
  });

  it('never follows a registry slug out of its directory', () => {
    fs.mkdirSync(path.join(home, '.gemini'), { recursive: true });
    fs.writeFileSync(path.join(home, '.gemini', 'projects.json'), JSON.stringify({ projects: { [worktree]: '../../outside' } }));
    file(path.join(home, 'outside', 'chats', 'session-2026-11-27T10-01-c0ffee00.jsonl'));
    expect(locator().locate(owner({ kind: 'gemini' }))).toEqual([]);
  });
});

describe('codex: the rollout of its session id', () => {
  const id = '019a9776-0a34-7842-8627-112b63d66e90';
  it('finds the rollout by the conversation id in the days around the start, under CODEX_HOME', () => {
    const sessions = path.join(dir, 'codex-home', 'sessions', '2026', '11', '27');
    file(path.join(sessions, `rollout-2026-11-27T10-00-05-${id}.jsonl`));
    file(path.join(sessions, 'rollout-2026-11-27T10-00-06-019a9776-0000-0000-0000-000000000000.jsonl'));
    const found = locator({ CODEX_HOME: path.join(dir, 'codex-home') }).locate(owner({ kind: 'codex', conversation: id }));
    expect(names(found)).toEqual([`codex-home/sessions/2026/11/27/rollout-2026-11-27T10-00-05-${id}.jsonl`]);
    expect(found[0]!.kind).toBe('codex');
  });

  it('reads none without the id (rollouts of every project share those directories), and refuses an id that is not one', () => {
    const sessions = path.join(home, '.codex', 'sessions', '2026', '11', '27');
    file(path.join(sessions, `rollout-2026-11-27T10-00-05-${id}.jsonl`));
    expect(locator().locate(owner({ kind: 'codex' }))).toEqual([]);
    expect(locator().locate(owner({ kind: 'codex', conversation: '../../x' }))).toEqual([]);
  });
});
