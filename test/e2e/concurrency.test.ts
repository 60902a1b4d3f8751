import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, standIn, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  // Enough files that worktree checkouts overlap in time.
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`src/d${i % 10}/f${i}.txt`] = `file ${i}\n`;
  repo = await sb.repo('repo', files);
  const agent = standIn(sb, 'rec', 'exec sleep 300');
  writeConfig(sb, `default_agent = "rec"\n[agents.rec]\ncommand = "${agent}"\n`);
});
afterEach(async () => {
  await sb.cleanup();
});

/**
 * Read state.json as fast as possible until `done`, parsing every read: a reader must never see
 * a half-written file. Returns how many reads were made (and parsed).
 */
async function watchState(done: { value: boolean }): Promise<number> {
  const file = path.join(sb.fleetHome, 'state.json');
  let reads = 0;
  while (!done.value) {
    let text: string | null = null;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== null) {
      const doc = JSON.parse(text) as { agents: unknown[] }; // throws on a torn read
      expect(Array.isArray(doc.agents)).toBe(true);
      reads++;
    }
    await new Promise((r) => setImmediate(r));
  }
  return reads;
}

async function sessions(): Promise<string[]> {
  const r = await sb.tmux('list-sessions', '-F', '#{session_name}');
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean).sort() : [];
}

async function worktreeBranches(): Promise<string[]> {
  const out = await sb.git(repo, 'worktree', 'list', '--porcelain');
  return out.split('\n').filter((l) => l.startsWith('branch refs/heads/')).map((l) => l.slice(18)).filter((b) => b !== 'main').sort();
}

describe('concurrent fleet processes on one repository', () => {
  it('eight `fleet create` started at the same moment all succeed, and all eight are recorded', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `par-${i + 1}`);
    const done = { value: false };
    const watcher = watchState(done);
    const results = await Promise.all(names.map((b) => fleet(sb, ['create', b, '-p', `task ${b}`, '--quick'], { cwd: repo })));
    done.value = true;
    const reads = await watcher;
    for (const [i, r] of results.entries()) {
      expect(r.stderr, names[i]).not.toMatch(/error/);
      expect(r.exitCode, names[i]).toBe(0);
    }
    const agents = readState(sb).agents;
    expect(agents.map((a) => a.branch).sort()).toEqual(names);
    for (const a of agents) expect(a.phase).toBe('ready');
    expect(await sessions()).toEqual(names.map((b) => `fleet_repo_${b}`));
    expect(await worktreeBranches()).toEqual(names);
    expect(reads).toBeGreaterThan(0);
  });

  it('two fanouts started at the same moment both succeed', async () => {
    const done = { value: false };
    const watcher = watchState(done);
    const [a, b] = await Promise.all([
      fleet(sb, ['fanout', '4', 'left', '-p', 'x', '--quick'], { cwd: repo }),
      fleet(sb, ['fanout', '4', 'right', '-p', 'y', '--quick'], { cwd: repo }),
    ]);
    done.value = true;
    await watcher;
    expect(a.stderr).not.toMatch(/error/);
    expect(b.stderr).not.toMatch(/error/);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const names = ['left-1', 'left-2', 'left-3', 'left-4', 'right-1', 'right-2', 'right-3', 'right-4'];
    expect(readState(sb).agents.map((x) => x.branch).sort()).toEqual(names);
    expect(await sessions()).toEqual(names.map((n) => `fleet_repo_${n}`));
    expect(await worktreeBranches()).toEqual(names);
  });
});
