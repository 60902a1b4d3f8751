// Gemini CLI chat recordings. Shapes read from google-gemini/gemini-cli
// packages/core/src/services/chatRecordingService.ts and chatRecordingTypes.ts, and checked against
// the bundle of @google/gemini-cli 0.61.0 (bundle/chunk-5FZXKDXH.js):
//
// - Files: <~/.gemini/tmp>/<project id>/chats/session-<YYYY-MM-DDTHH-MM>-<session id[0..8]>.jsonl;
//   a sub-agent's: chats/<parent session id>/<session id>.jsonl ("subagents are nested under the
//   complete parent session id"). Older versions wrote one `.json` ConversationRecord, rewritten whole.
// - `appendRecord(record)` appends `JSON.stringify(record) + '\n'`: first a metadata line
//   {sessionId, projectHash, startTime, lastUpdated, kind}, then MessageRecords
//   {id, timestamp, type: 'user'|'gemini'|…, content, model?, tokens?, toolCalls?, thoughts?}.
//   A changed message is appended again WHOLE under the same id (`pushMessage`), and the reader
//   keeps the last one (`messagesMap.set(id, record)`): so a message counts once, by id, with its
//   latest tokens. `{"$rewindTo": id}` hides messages from the conversation but they were billed,
//   so they stay counted; `{"$set": {"messages": [...]}}` is a checkpoint of the same records.
// - `recordMessageTokens(respUsageMetadata)` stores
//   `{input: promptTokenCount, output: candidatesTokenCount, cached: cachedContentTokenCount,
//     thoughts: thoughtsTokenCount, tool: toolUsePromptTokenCount, total: totalTokenCount}`
//   once per API response. Per the Gemini API, promptTokenCount includes the cached tokens,
//   thinking is billed as output, and totalTokenCount = prompt + candidates + toolUse + thoughts
//   (tool-use prompt tokens are extra input).
// - `recordSyntheticMessage` can attach tokens with `model: undefined`: those are filed under the
//   model of the file's previous gemini message (the chat's current model), else "unknown".
import { count, isObject, parseJson, type ParserState, type TranscriptParser } from './parser.js';
import { addUsage, bandOf, type TokenCounts } from './types.js';

interface Counted {
  model: string;
  band: number;
  counts: TokenCounts;
}

export interface GeminiState extends ParserState {
  /** Every message counted so far, by id: a later copy of the message replaces its tokens. */
  byId: Record<string, Counted>;
  lastModel: string | null;
}

function sameCounted(a: Counted, b: Counted): boolean {
  return a.model === b.model && a.band === b.band && JSON.stringify(a.counts) === JSON.stringify(b.counts);
}

function applyMessage(s: GeminiState, m: Record<string, unknown>): void {
  if (m.type !== 'gemini' || typeof m.id !== 'string') return;
  if (typeof m.model === 'string' && m.model.trim() !== '') s.lastModel = m.model.trim();
  const t = m.tokens;
  if (!isObject(t)) return;
  const prompt = count(t.input);
  const cached = Math.min(count(t.cached), prompt);
  const next: Counted = {
    model: (typeof m.model === 'string' && m.model.trim()) || s.lastModel || 'unknown',
    band: bandOf(prompt),
    counts: {
      input: prompt - cached + count(t.tool),
      cache_read: cached,
      output: count(t.output) + count(t.thoughts),
      cache_write: 0,
      cache_write_1h: 0,
    },
  };
  const prior = Object.hasOwn(s.byId, m.id) ? s.byId[m.id] : undefined;
  if (prior && sameCounted(prior, next)) return;
  if (prior) addUsage(s.totals, prior.model, prior.band, prior.counts, -1);
  s.byId[m.id] = next;
  addUsage(s.totals, next.model, next.band, next.counts);
}

function applyRecord(s: GeminiState, o: unknown): void {
  if (!isObject(o)) return;
  if (isObject(o.$set) && Array.isArray(o.$set.messages)) {
    for (const m of o.$set.messages) if (isObject(m)) applyMessage(s, m);
    return;
  }
  // A legacy single-object file, or a metadata line that carries messages.
  if (Array.isArray(o.messages)) {
    for (const m of o.messages) if (isObject(m)) applyMessage(s, m);
    return;
  }
  applyMessage(s, o);
}

export const geminiParser: TranscriptParser<GeminiState> = {
  kind: 'gemini',
  needles: ['"tokens":', '"model":'],
  init: () => ({ totals: {}, byId: {}, lastModel: null }),
  line: (s, text) => applyRecord(s, parseJson(text)),
  whole: (s, text) => applyRecord(s, parseJson(text)),
};
