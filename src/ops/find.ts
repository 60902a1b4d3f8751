import { FleetError } from '../errors.js';
import type { RepoContext } from '../context.js';
import type { RepoInfo } from '../git/repo.js';
import { globMatch, isGlob } from '../core/glob.js';
import type { AgentRecord } from '../state/types.js';
import { queryRecords } from '../state/state-manager.js';

export function recordsOfRepo(records: readonly AgentRecord[], repo: RepoInfo): AgentRecord[] {
  return queryRecords(records, { repo: repo.root });
}

/** The agent on `branch` in the current repository, or a clear error. */
export async function findAgent(ctx: RepoContext, branch: string): Promise<AgentRecord> {
  const records = recordsOfRepo(await ctx.state.read(), ctx.repo);
  const found = records.find((r) => r.branch === branch);
  if (!found) throw unknownAgent(branch, records);
  return found;
}

export function unknownAgent(branch: string, records: readonly AgentRecord[]): FleetError {
  const near = records.map((r) => r.branch).filter((b) => b.startsWith(branch) || branch.startsWith(b)).slice(0, 3);
  return new FleetError(`no agent on branch "${branch}" in this repository`, {
    hint: near.length > 0 ? `did you mean ${near.map((b) => `"${b}"`).join(' or ')}? fleet list shows them all` : 'fleet list shows the agents of this repository',
  });
}

/** Branch names and globs → records (each once), in the order the records were made. */
export function matchAgents(records: readonly AgentRecord[], patterns: readonly string[]): { matched: AgentRecord[]; unmatched: string[] } {
  const matched = new Set<AgentRecord>();
  const unmatched: string[] = [];
  for (const p of patterns) {
    const hits = records.filter((r) => (isGlob(p) ? globMatch(p, r.branch) : r.branch === p));
    if (hits.length === 0) unmatched.push(p);
    hits.forEach((h) => matched.add(h));
  }
  return { matched: records.filter((r) => matched.has(r)), unmatched };
}
