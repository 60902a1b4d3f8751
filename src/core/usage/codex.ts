// Codex CLI rollouts: $CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<session id>.jsonl. Shapes read
// from the openai/codex sources and checked against the strings of the @openai/codex 0.171.0 binary:
//
// - codex-rs/history/src/lib.rs: `pub struct RolloutLine { pub timestamp: String, ordinal: Option<u64>,
//   #[serde(flatten)] pub item: RolloutItem }`, and rollout_payload.rs tags items
//   `#[serde(tag = "type", rename_all = "snake_case")]` with a `payload`: lines read
//   `{"timestamp":…,"type":"event_msg","payload":{"type":"token_count","info":{…},"rate_limits":…}}`
//   and `{"timestamp":…,"type":"turn_context","payload":{"cwd":…,"model":"gpt-…",…}}`.
// - codex-rs/rollout/src/policy.rs persists `EventMsg::TokenCount(_) => true`.
// - protocol TokenUsageInfo { total_token_usage, last_token_usage, model_context_window }, with
//   `append_last_usage(&mut self, last) { self.total_token_usage.add_assign(last); self.last_token_usage = last.clone(); }`
//   and, in fill_to_context_window, "total_token_usage … is the cumulative ledger of real spend".
//   So total_token_usage is CUMULATIVE for the session and last_token_usage is the last response.
//   token_count events also repeat unchanged totals (a rate-limit refresh sends one with the same
//   info), so summing last_token_usage would count a response twice: this parser takes the
//   difference between consecutive totals, filed under the model of the latest turn_context (or
//   thread_settings_applied event). A total that goes down means the counter restarted (a resumed
//   process that did not restore it): the new total is then all new usage.
// - TokenUsage { input_tokens, cached_input_tokens, cache_write_input_tokens (0.171), output_tokens,
//   reasoning_output_tokens, total_tokens }: input_tokens includes the cached tokens
//   (`non_cached_input() = input_tokens - cached_input()`), output_tokens includes reasoning
//   (`blended_total() = non_cached_input() + output_tokens`); cache writes are taken as part of
//   input_tokens too (app-server's `ordinary_input_tokens = input - cached - cache_write`).
// Not handled: `.jsonl.zst` (codex compresses old rollouts; Node 20 has no zstd, the cached totals
// stay), sub-agent threads (their own rollout files: the caller passes them as more files), and
// priority/flex service tiers (priced at the standard rate).
import { count, isObject, parseJson, type ParserState, type TranscriptParser } from './parser.js';
import { addUsage, bandOf } from './types.js';

interface Cumulative {
  input: number;
  cached: number;
  write: number;
  output: number;
}

export interface CodexState extends ParserState {
  /** The last total_token_usage seen. */
  prev: Cumulative | null;
  /** The model of the current turn. */
  model: string | null;
}

function cumulative(u: unknown): Cumulative | null {
  if (!isObject(u)) return null;
  return {
    input: count(u.input_tokens),
    cached: count(u.cached_input_tokens),
    write: count(u.cache_write_input_tokens),
    output: count(u.output_tokens),
  };
}

const FIELDS = ['input', 'cached', 'write', 'output'] as const;

export const codexParser: TranscriptParser<CodexState> = {
  kind: 'codex',
  needles: ['"token_count"', '"turn_context"', '"thread_settings_applied"'],
  init: () => ({ totals: {}, prev: null, model: null }),

  line(s, text) {
    const o = parseJson(text);
    if (!isObject(o) || !isObject(o.payload)) return;
    const p = o.payload;
    if (o.type === 'turn_context') {
      if (typeof p.model === 'string' && p.model.trim() !== '') s.model = p.model.trim();
      return;
    }
    if (o.type !== 'event_msg') return;
    if (p.type === 'thread_settings_applied') {
      const m = isObject(p.thread_settings) ? p.thread_settings.model : undefined;
      if (typeof m === 'string' && m.trim() !== '') s.model = m.trim();
      return;
    }
    if (p.type !== 'token_count' || !isObject(p.info)) return;
    const total = cumulative(p.info.total_token_usage);
    if (!total) return;
    const prev = s.prev;
    const restarted = prev !== null && FIELDS.some((f) => total[f] < prev[f]);
    const d = { ...total };
    if (prev && !restarted) for (const f of FIELDS) d[f] -= prev[f];
    s.prev = total;
    if (FIELDS.every((f) => d[f] === 0)) return;
    // Long-context prices go by the size of one request's prompt: the last response's input.
    const last = cumulative(p.info.last_token_usage);
    const band = bandOf(last && last.input > 0 ? last.input : d.input);
    addUsage(s.totals, s.model ?? 'unknown', band, {
      input: Math.max(0, d.input - d.cached - d.write),
      cache_read: d.cached,
      cache_write: d.write,
      cache_write_1h: 0,
      output: d.output,
    });
  },
};
