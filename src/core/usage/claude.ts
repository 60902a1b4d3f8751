// Claude Code transcripts: ~/.claude/projects/<escaped cwd>/<session id>.jsonl (or a hook's
// transcript_path), one JSON object per line. Shapes read from @anthropic-ai/claude-code 2.1.197
// (its bundled JS in node_modules/@anthropic-ai/claude-code-linux-x64/claude), not from memory:
//
// - Every entry is `{parentUuid, isSidechain, agentId, ...entry, sessionId, version, ...}` appended
//   as one line (`this.appendEntry(m)`).
// - An assistant reply is written as ONE LINE PER CONTENT BLOCK while it streams:
//     `{message:{...msg,content:Oen([block],…)},requestId:ae??void 0,…,type:"assistant",uuid:randomUUID(),…}`
//   every line repeating message.id, message.model and message.usage. When `message_delta`
//   arrives, `for(let Oi of Yt)Oi.message.usage=hn` puts the final usage on all of them, but lines
//   already written keep the usage of message_start (same input and cache counts, output so far).
//   So a message is counted once per message.id + requestId, with each count the largest seen.
// - usage = {input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens,
//   cache_creation:{ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}, speed, …}; Claude Code
//   prices `Math.min(cache_creation.ephemeral_1h_input_tokens, cache_creation_input_tokens)` at the
//   1-hour write rate and the rest at the 5-minute rate, and `speed==="fast"` at fast-mode prices.
// - Locally made messages carry model `TI="<synthetic>"` (no API call): not counted.
// - A forked session copies the parent's entries into the new file with
//   `forkedFrom:{sessionId,messageUuid}`: those were billed to the parent, not counted here.
// - Sub-agents (Task tool, workflows) write their own files, found by claudeSessionFiles():
//   `Tk(e)` → <project dir>/<session id>/subagents[/<group>]/agent-<agent id>.jsonl.
import { count, hashKey, isObject, parseJson, type ParserState, type TranscriptParser } from './parser.js';
import { addUsage, bandOf, type TokenCounts, TOKEN_FIELDS } from './types.js';

interface OpenMessage {
  key: string;
  model: string;
  band: number;
  counts: TokenCounts;
}

export interface ClaudeState extends ParserState {
  /** Hashes of every message key counted in this file. */
  seen: Set<string>;
  /** The last few messages: later lines of a reply may still raise their counts. */
  open: OpenMessage[];
}

/** A reply's lines are adjacent; a few more allow for interleaved entries. */
const OPEN_LIMIT = 8;

function usageCounts(u: Record<string, unknown>): TokenCounts {
  const written = count(u.cache_creation_input_tokens);
  const split = isObject(u.cache_creation) ? u.cache_creation : {};
  const oneHour = Math.min(count(split.ephemeral_1h_input_tokens), written);
  return {
    input: count(u.input_tokens),
    output: count(u.output_tokens),
    cache_read: count(u.cache_read_input_tokens),
    cache_write: written - oneHour,
    cache_write_1h: oneHour,
  };
}

function promptOf(c: TokenCounts): number {
  return c.input + c.cache_read + c.cache_write + c.cache_write_1h;
}

export const claudeParser: TranscriptParser<ClaudeState> = {
  kind: 'claude',
  needles: ['"usage":'],
  init: () => ({ totals: {}, seen: new Set(), open: [] }),

  line(s, text) {
    const o = parseJson(text);
    if (!isObject(o) || o.type !== 'assistant' || o.forkedFrom !== undefined) return;
    const msg = o.message;
    if (!isObject(msg) || !isObject(msg.usage)) return;
    const reported = typeof msg.model === 'string' && msg.model.trim() !== '' ? msg.model.trim() : 'unknown';
    if (reported === '<synthetic>') return;
    const model = msg.usage.speed === 'fast' ? `${reported}:fast` : reported;
    const counts = usageCounts(msg.usage);

    const id = typeof msg.id === 'string' ? msg.id : '';
    const req = typeof o.requestId === 'string' ? o.requestId : '';
    // Without ids (never seen from Claude Code itself) each line stands alone.
    const key = hashKey(id || req ? `${id}\u0000${req}` : `line\u0000${typeof o.uuid === 'string' ? o.uuid : text}`);

    const open = s.open.find((m) => m.key === key);
    if (open) {
      const merged = { ...open.counts };
      let grew = false;
      for (const f of TOKEN_FIELDS) {
        if (counts[f] > merged[f]) {
          merged[f] = counts[f];
          grew = true;
        }
      }
      if (!grew) return;
      addUsage(s.totals, open.model, open.band, open.counts, -1, 0);
      open.counts = merged;
      open.band = bandOf(promptOf(merged));
      addUsage(s.totals, open.model, open.band, merged, 1, 0);
      return;
    }
    if (s.seen.has(key)) return;
    s.seen.add(key);
    const band = bandOf(promptOf(counts));
    s.open.push({ key, model, band, counts });
    if (s.open.length > OPEN_LIMIT) s.open.shift();
    addUsage(s.totals, model, band, counts);
  },

  pack: (s) => ({ totals: s.totals, seen: [...s.seen].join(''), open: s.open }),
  unpack(stored) {
    if (!isObject(stored) || !isObject(stored.totals) || typeof stored.seen !== 'string' || !Array.isArray(stored.open)) return null;
    const seen = new Set<string>();
    for (let i = 0; i + 16 <= stored.seen.length; i += 16) seen.add(stored.seen.slice(i, i + 16));
    return { totals: stored.totals as ClaudeState['totals'], seen, open: stored.open as OpenMessage[] };
  },
};
