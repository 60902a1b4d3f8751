// Agents' token usage and cost: found from each agent's kind and worktree (and its conversation
// id where fleet knows it), read incrementally through the cache in the fleet home, priced with
// the config's `[pricing."model"]` over the dated table. An ended agent's usage is kept in
// `usage-history.jsonl` in the fleet home (its raw per-model counts, so a later price change or
// override prices it too), so `fleet cost` still lists agents that were killed or picked.
//
// This module is light on purpose (list imports it): the parsers, the price table and the cache
// load only when some agent has a transcript to read.
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { agentFacts } from '../core/profiles.js';
import type { PricingOverrides } from '../core/usage/prices.js';
import type { TranscriptKind } from '../core/usage/parser.js';
import type { AgentUsage, UsageTotals } from '../core/usage/types.js';
import type { AgentRecord } from '../state/types.js';

/**
 * A record with what the agent's hooks taught fleet, where it knows it: the agent's own
 * conversation id and the transcript path it reported.
 */
export type UsageSubject = AgentRecord & { conversation_id?: string | null; transcript?: string | null; hooks?: string | null };

const KINDS: readonly string[] = ['claude', 'codex', 'gemini'] satisfies TranscriptKind[];

/**
 * The transcript format of an agent: its built-in kind's, or the kind a user profile declares
 * for its hooks (`hooks = "claude"`, recorded with the agent); null for agents that keep none
 * fleet can read (shell, aider, other programs).
 */
export function transcriptKindOf(record: Pick<UsageSubject, 'agent' | 'hooks'>): TranscriptKind | null {
  const builtin = agentFacts(record.agent).transcript;
  if (builtin) return builtin;
  return record.hooks && KINDS.includes(record.hooks) ? (record.hooks as TranscriptKind) : null;
}

/** `[pricing."model"]` from the config (validated when it was loaded). */
export function pricingOf(ctx: Pick<Context, 'config'>): PricingOverrides {
  return ctx.config.pricing;
}

export interface UsageDetail {
  usage: AgentUsage | null;
  totals: UsageTotals;
  /** The transcripts read (to forget once the agent is gone). */
  files: string[];
}

/**
 * Usage of each agent: null for agents without transcripts (other kinds) and for agents that
 * have not used their model yet. Each transcript is read only from where any fleet process last
 * stopped; problems writing the cache are warnings, never failures.
 */
export async function usageDetails(ctx: Context, records: readonly UsageSubject[]): Promise<Map<UsageSubject, UsageDetail>> {
  const out = new Map<UsageSubject, UsageDetail>();
  const readable = records.filter((r) => transcriptKindOf(r) !== null);
  for (const r of records) if (!readable.includes(r)) out.set(r, { usage: null, totals: {}, files: [] });
  if (readable.length === 0) return out;

  const [{ TranscriptLocator }, { TranscriptCache }, { summarizeUsage }] = await Promise.all([
    import('../usage/locate.js'),
    import('../usage/transcript-cache.js'),
    import('../core/usage/summary.js'),
  ]);
  // Hooked gemini agents run with fleet's own gemini home (src/hooks/gemini-home.ts).
  const locator = new TranscriptLocator(ctx.env, { geminiHomes: [path.join(ctx.configs.home, 'agent-homes', 'gemini')] });
  const cache = new TranscriptCache(ctx.configs.home);
  const pricing = pricingOf(ctx);
  try {
    for (const r of readable) {
      const refs = locator.locate({ kind: transcriptKindOf(r)!, worktree: r.worktree, createdAt: r.created_at, conversation: r.conversation_id, transcript: r.transcript });
      const { totals, files } = cache.readAll(refs);
      out.set(r, { usage: summarizeUsage(totals, pricing), totals, files: files.map((f) => f.path) });
    }
  } finally {
    cache.flush();
    for (const w of cache.warnings) ctx.ui.warn(w);
  }
  return out;
}

/** Usage of each agent (see usageDetails). */
export async function usageOf(ctx: Context, records: readonly UsageSubject[]): Promise<Map<UsageSubject, AgentUsage | null>> {
  const details = await usageDetails(ctx, records);
  return new Map([...details].map(([r, d]) => [r, d.usage]));
}

/** One ended agent in `usage-history.jsonl`. */
export interface UsageHistoryEntry {
  version: 1;
  repo: string;
  repo_name: string;
  branch: string;
  batch_id: string | null;
  agent: string;
  created_at: string;
  ended_at: string;
  /** The agent's budget, if it had one. */
  budget_usd: number | null;
  /** Raw per-model counts (priced when read, with the prices of that moment). */
  totals: UsageTotals;
}

export const USAGE_HISTORY_FILE = 'usage-history.jsonl';

export function usageHistoryFile(home: string): string {
  return path.join(home, USAGE_HISTORY_FILE);
}

/**
 * Keep an ended agent's final usage (kill, prune and pick end agents through killAgent, which
 * calls this once the record is gone), then drop its transcripts from the cache. Never fails
 * the command that ended the agent: a problem is a warning.
 */
export async function recordFinalUsage(ctx: Context, record: UsageSubject): Promise<void> {
  if (transcriptKindOf(record) === null) return;
  try {
    const detail = (await usageDetails(ctx, [record])).get(record)!;
    if (Object.keys(detail.totals).length > 0) {
      const entry: UsageHistoryEntry = {
        version: 1,
        repo: record.repo,
        repo_name: record.repo_name,
        branch: record.branch,
        batch_id: record.batch_id,
        agent: record.agent,
        created_at: record.created_at,
        ended_at: new Date().toISOString(),
        budget_usd: budgetOf(record),
        totals: detail.totals,
      };
      appendLine(usageHistoryFile(ctx.configs.home), JSON.stringify(entry));
    }
    if (detail.files.length > 0) {
      const { TranscriptCache } = await import('../usage/transcript-cache.js');
      const cache = new TranscriptCache(ctx.configs.home);
      cache.forget(detail.files);
      cache.flush();
    }
  } catch (e) {
    ctx.ui.warn(`the usage of "${record.branch}" was not kept for fleet cost: ${(e as Error).message}`);
  }
}

/** The per-agent budget recorded at create (`--budget`, or budget_usd then), if any. */
export function budgetOf(record: AgentRecord): number | null {
  const b = (record as { budget_usd?: unknown }).budget_usd;
  return typeof b === 'number' && Number.isFinite(b) ? b : null;
}

/** Append one line in one write (O_APPEND: concurrent fleet processes never interleave a line), mode 0600, never through a link. */
function appendLine(file: string, line: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, line + '\n');
  } finally {
    fs.closeSync(fd);
  }
}

/** Every entry of the usage history; lines that do not parse (a torn write, a foreign line) are skipped. */
export function readUsageHistory(home: string): UsageHistoryEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(usageHistoryFile(home), 'utf8');
  } catch {
    return [];
  }
  const out: UsageHistoryEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as Partial<UsageHistoryEntry>;
      if (e.version === 1 && typeof e.repo === 'string' && typeof e.branch === 'string' && typeof e.created_at === 'string' && e.totals && typeof e.totals === 'object') {
        out.push({ batch_id: null, agent: '?', repo_name: path.basename(e.repo), ended_at: e.created_at, budget_usd: null, ...e } as UsageHistoryEntry);
      }
    } catch {
      // skipped
    }
  }
  return out;
}
