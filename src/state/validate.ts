import path from 'node:path';
import type { AgentRecord } from './types.js';

/**
 * Check one record read from state.json and fill in what older fleets did not write. A record
 * is bad when a field that identifies the agent (repo, branch, session, worktree) is missing,
 * or any field has the wrong type: code downstream takes `record.copied_files.includes` or
 * `record.base_commit.slice` on trust, and a hand-edited or half-merged file must not crash it.
 * Returns null for a bad record. Pure.
 */
export function validRecord(raw: unknown): AgentRecord | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const str = (k: string) => typeof r[k] === 'string' && r[k] !== '';
  const optional = (k: string, ok: (v: unknown) => boolean) => r[k] === undefined || ok(r[k]);
  const isString = (v: unknown) => typeof v === 'string';
  const stringOrNull = (v: unknown) => v === null || typeof v === 'string';

  if (!str('repo') || !path.isAbsolute(r.repo as string) || !str('branch') || !str('session') || !str('worktree')) return null;
  const fine =
    optional('repo_name', isString) &&
    optional('batch_id', stringOrNull) &&
    optional('agent', isString) &&
    optional('base_commit', isString) &&
    optional('base_ref', isString) &&
    optional('created_branch', (v) => typeof v === 'boolean') &&
    optional('copied_files', (v) => Array.isArray(v) && v.every(isString)) &&
    optional('created_at', isString) &&
    optional('prompt_preview', isString) &&
    optional('phase', (v) => v === 'creating' || v === 'ready') &&
    optional('owner_pid', (v) => v === null || (typeof v === 'number' && Number.isInteger(v) && v > 0)) &&
    optional('owner_start', stringOrNull) &&
    optional('issue', stringOrNull) &&
    optional('host', stringOrNull) &&
    optional('remote_repo', (v) => v === null || (typeof v === 'string' && path.isAbsolute(v)));
  if (!fine) return null;
  // An agent on a host is reached through its host's clone: without it, nothing could end it.
  if (typeof r.host === 'string' && typeof r.remote_repo !== 'string') return null;

  const repo = r.repo as string;
  const phase = (r.phase as AgentRecord['phase'] | undefined) ?? 'ready';
  const owner = (r.owner_pid as number | null | undefined) ?? null;
  // "creating" means nothing without the fleet process that is doing it.
  if (phase === 'creating' && owner === null) return null;
  return {
    ...(r as object),
    repo,
    repo_name: (r.repo_name as string | undefined) ?? path.basename(repo),
    branch: r.branch as string,
    batch_id: (r.batch_id as string | null | undefined) ?? null,
    agent: (r.agent as string | undefined) ?? 'unknown',
    session: r.session as string,
    worktree: r.worktree as string,
    base_commit: (r.base_commit as string | undefined) ?? '',
    base_ref: (r.base_ref as string | undefined) ?? '',
    created_branch: (r.created_branch as boolean | undefined) ?? false,
    copied_files: (r.copied_files as string[] | undefined) ?? [],
    created_at: (r.created_at as string | undefined) ?? new Date(0).toISOString(),
    prompt_preview: (r.prompt_preview as string | undefined) ?? '',
    phase,
    owner_pid: owner,
    owner_start: (r.owner_start as string | null | undefined) ?? null,
    issue: (r.issue as string | null | undefined) ?? null,
  };
}

/**
 * Split the records of a state file into the good ones (checked and filled in) and the bad
 * ones: the wrong shape, or a second record for an agent (repository + branch) or session
 * that an earlier record already has. Pure.
 */
export function validateRecords(raw: readonly unknown[]): { good: AgentRecord[]; bad: unknown[] } {
  const good: AgentRecord[] = [];
  const bad: unknown[] = [];
  const agents = new Set<string>();
  const sessions = new Set<string>();
  for (const item of raw) {
    const r = validRecord(item);
    const id = r ? `${r.repo}\0${r.branch}` : '';
    if (!r || agents.has(id) || sessions.has(r.session)) {
      bad.push(item);
      continue;
    }
    agents.add(id);
    sessions.add(r.session);
    good.push(r);
  }
  return { good, bad };
}
