// The one entry point the commands use: transcripts in, priced usage out.
//
//   const { readUsage, sessionFiles } = await import('../usage/index.js');   // lazily: list stays fast
//   const usage = readUsage({ 'fix-auth': sessionFiles('claude', transcriptPath) }, { home, pricing });
//   usage['fix-auth']  // AgentUsage | null   ({model, input_tokens, …, cost_usd, models, unpriced})
import type { TranscriptKind } from '../core/usage/parser.js';
import type { PricingOverrides } from '../core/usage/prices.js';
import { summarizeUsage } from '../core/usage/summary.js';
import type { AgentUsage, UsageTotals } from '../core/usage/types.js';
import { claudeSessionFiles, codexSessionFiles, geminiSessionFiles } from './session-files.js';
import { type FileUsage, TranscriptCache, type TranscriptIO, type TranscriptRef } from './transcript-cache.js';

export type { TranscriptKind, TranscriptRef, FileUsage, AgentUsage, UsageTotals, PricingOverrides };

/** An agent's main transcript and its sub-agents' transcripts, for the agent kinds that keep one. */
export function sessionFiles(kind: TranscriptKind, mainTranscript: string): TranscriptRef[] {
  if (kind === 'claude') return claudeSessionFiles(mainTranscript);
  if (kind === 'gemini') return geminiSessionFiles(mainTranscript);
  return codexSessionFiles(mainTranscript);
}

export interface ReadUsageOptions {
  /** The fleet home; the cache lives in <home>/usage-cache. */
  home: string;
  /** `[pricing."model"]` from the config (validated by validatePricing). */
  pricing?: PricingOverrides;
  io?: TranscriptIO;
}

export interface AgentUsageDetail {
  usage: AgentUsage | null;
  totals: UsageTotals;
  files: FileUsage[];
}

/**
 * Usage of each agent, reading each transcript only from where any fleet process last stopped.
 * Agents without transcripts (other agent kinds) get null: never a made-up number.
 */
export function readUsageDetailed(agents: Record<string, readonly TranscriptRef[]>, opts: ReadUsageOptions): Record<string, AgentUsageDetail> {
  const cache = new TranscriptCache(opts.home, opts.io);
  const out: Record<string, AgentUsageDetail> = {};
  try {
    for (const [id, refs] of Object.entries(agents)) {
      const { totals, files } = cache.readAll(refs);
      out[id] = { usage: summarizeUsage(totals, opts.pricing), totals, files };
    }
  } finally {
    cache.flush();
  }
  return out;
}

export function readUsage(agents: Record<string, readonly TranscriptRef[]>, opts: ReadUsageOptions): Record<string, AgentUsage | null> {
  const detailed = readUsageDetailed(agents, opts);
  return Object.fromEntries(Object.entries(detailed).map(([id, d]) => [id, d.usage]));
}
