import { describe, expect, it } from 'vitest';
import { queryRecords } from '../../src/state/state-manager.js';
import type { AgentRecord } from '../../src/state/types.js';
import { repoNameFromWorktree } from '../../src/core/reconcile.js';

const rec = (repo: string, branch: string, batch: string | null): AgentRecord => ({
  repo, repo_name: repo.slice(1), branch, batch_id: batch, agent: 'shell', session: `s_${branch}`, worktree: `/w/${branch}`,
  base_commit: 'abc', base_ref: 'main', created_branch: true, copied_files: [], created_at: '2026-01-01T00:00:00.000Z',
  prompt_preview: '', phase: 'ready', owner_pid: null,
});

describe('queryRecords', () => {
  const all = [rec('/a', 'x-1', 'x'), rec('/a', 'x-2', 'x'), rec('/a', 'solo', null), rec('/b', 'x-1', 'x')];
  it('filters by repository, branch and batch together', () => {
    expect(queryRecords(all, { repo: '/a' }).map((r) => r.branch)).toEqual(['x-1', 'x-2', 'solo']);
    expect(queryRecords(all, { repo: '/a', batch: 'x' }).map((r) => r.branch)).toEqual(['x-1', 'x-2']);
    expect(queryRecords(all, { branch: 'x-1' }).map((r) => r.repo)).toEqual(['/a', '/b']);
    expect(queryRecords(all, { repo: '/a', batch: null }).map((r) => r.branch)).toEqual(['solo']);
    expect(queryRecords(all, {})).toHaveLength(4);
  });
});

describe('repoNameFromWorktree', () => {
  it('reads the repo-name back from <root>/<repo-name>/<branch>, nested branches too', () => {
    expect(repoNameFromWorktree('/h/worktrees/app-1a2b3c/feat/x', 'feat/x')).toBe('app-1a2b3c');
    expect(repoNameFromWorktree('/h/worktrees/app/fix', 'fix')).toBe('app');
    expect(repoNameFromWorktree('/elsewhere/other', 'fix')).toBeNull();
    expect(repoNameFromWorktree(undefined, 'fix')).toBeNull();
  });
});
