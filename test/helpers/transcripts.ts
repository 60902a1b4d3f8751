// Transcript lines in the shapes the agents write them (see the header comments of
// src/core/usage/{claude,codex,gemini}.ts for where each shape was read).
import { randomUUID } from 'node:crypto';
import { foldLines, type ParserState, type TranscriptParser } from '../../src/core/usage/parser.js';

/** Fold a whole transcript the way the reader does (needle prefilter included). */
export function fold<S extends ParserState>(parser: TranscriptParser<S>, text: string): S {
  const state = parser.init();
  const buf = Buffer.from(text);
  foldLines(buf, buf.length, parser.needles.map((n) => Buffer.from(n)), (l) => parser.line(state, l));
  return state;
}

export interface ClaudeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  /** Part of cache_creation_input_tokens written with the 1-hour TTL. */
  one_hour?: number;
  speed?: 'fast';
}

/** One assistant reply as Claude Code writes it: one line per content block, each repeating id, model and usage. */
export function claudeReply(opts: {
  id: string;
  requestId: string;
  model: string;
  usage: ClaudeUsage;
  blocks?: number;
  /** Usage on the lines before the last (what message_start reported), if different. */
  earlyUsage?: ClaudeUsage;
  sessionId?: string;
  extra?: Record<string, unknown>;
}): string[] {
  const blocks = opts.blocks ?? 1;
  const kinds = [{ type: 'thinking', thinking: 'let me look', signature: 'sig' }, { type: 'text', text: 'Looking at "usage": the file.' }];
  const lines: string[] = [];
  for (let i = 0; i < blocks; i++) {
    const u = i < blocks - 1 && opts.earlyUsage ? opts.earlyUsage : opts.usage;
    const block = i === blocks - 1 && blocks > 1
      ? { type: 'tool_use', id: `toolu_${i}`, name: 'Bash', input: { command: 'echo \'{"usage":{"input_tokens":999999}}\'', usage: { input_tokens: 999999 } } }
      : kinds[i % kinds.length];
    lines.push(JSON.stringify({
      parentUuid: randomUUID(),
      isSidechain: false,
      userType: 'external',
      cwd: '/work/repo',
      sessionId: opts.sessionId ?? 's-1',
      version: '2.1.197',
      gitBranch: 'fix-auth',
      message: {
        id: opts.id,
        type: 'message',
        role: 'assistant',
        model: opts.model,
        content: [block],
        stop_reason: i === blocks - 1 ? 'tool_use' : null,
        stop_sequence: null,
        usage: {
          input_tokens: u.input_tokens,
          cache_creation_input_tokens: u.cache_creation_input_tokens ?? 0,
          cache_read_input_tokens: u.cache_read_input_tokens ?? 0,
          cache_creation: {
            ephemeral_5m_input_tokens: (u.cache_creation_input_tokens ?? 0) - (u.one_hour ?? 0),
            ephemeral_1h_input_tokens: u.one_hour ?? 0,
          },
          output_tokens: u.output_tokens,
          service_tier: 'standard',
          ...(u.speed ? { speed: u.speed } : {}),
        },
      },
      requestId: opts.requestId,
      type: 'assistant',
      uuid: randomUUID(),
      timestamp: '2026-11-27T10:00:00.000Z',
      ...opts.extra,
    }));
  }
  return lines;
}

export function claudeUserLine(text: string): string {
  return JSON.stringify({
    parentUuid: null, isSidechain: false, userType: 'external', cwd: '/work/repo', sessionId: 's-1', version: '2.1.197',
    type: 'user', message: { role: 'user', content: text }, uuid: randomUUID(), timestamp: '2026-11-27T10:00:00.000Z',
  });
}

export interface CodexTotals {
  input: number;
  cached: number;
  output: number;
  reasoning?: number;
  write?: number;
}

function codexUsage(t: CodexTotals) {
  return {
    input_tokens: t.input,
    cached_input_tokens: t.cached,
    ...(t.write !== undefined ? { cache_write_input_tokens: t.write } : {}),
    output_tokens: t.output,
    reasoning_output_tokens: t.reasoning ?? 0,
    total_tokens: t.input + t.output,
  };
}

export const codex = {
  sessionMeta: (id = '019a9776-0a34-7842-8627-112b63d66e90') =>
    JSON.stringify({ timestamp: '2026-11-27T10:00:00.000Z', type: 'session_meta', payload: { id, timestamp: '2026-11-27T10:00:00.000Z', cwd: '/work/repo', originator: 'codex_cli_rs', cli_version: '0.171.0', model_provider: 'openai' } }),
  turnContext: (model: string) =>
    JSON.stringify({ timestamp: '2026-11-27T10:00:01.000Z', type: 'turn_context', payload: { cwd: '/work/repo', approval_policy: 'on-request', sandbox_policy: { type: 'workspace-write' }, model, summary: 'auto' } }),
  tokenCount: (total: CodexTotals | null, last?: CodexTotals) =>
    JSON.stringify({
      timestamp: '2026-11-27T10:00:02.000Z',
      type: 'event_msg',
      payload: {
        type: 'token_count',
        info: total ? { total_token_usage: codexUsage(total), last_token_usage: codexUsage(last ?? total), model_context_window: 272000 } : null,
        rate_limits: { primary: { used_percent: 7, window_minutes: 300, resets_at: 1763483205 }, secondary: null },
      },
    }),
  message: (text: string) =>
    JSON.stringify({ timestamp: '2026-11-27T10:00:02.000Z', type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] } }),
};

export interface GeminiTokens {
  input: number;
  output: number;
  cached: number;
  thoughts?: number;
  tool?: number;
}

export const gemini = {
  metadata: (sessionId = 'c0ffee00-1111-2222-3333-444455556666') =>
    JSON.stringify({ sessionId, projectHash: 'abc123', startTime: '2026-11-27T10:00:00.000Z', lastUpdated: '2026-11-27T10:00:00.000Z', kind: 'main' }),
  user: (id: string, text: string) => JSON.stringify({ id, timestamp: '2026-11-27T10:00:00.000Z', type: 'user', content: [{ text }] }),
  reply: (id: string, model: string | undefined, tokens: GeminiTokens | null, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      id,
      timestamp: '2026-11-27T10:00:01.000Z',
      type: 'gemini',
      content: 'done',
      thoughts: [],
      tokens: tokens
        ? { ...tokens, thoughts: tokens.thoughts ?? 0, tool: tokens.tool ?? 0, total: tokens.input + tokens.output + (tokens.thoughts ?? 0) + (tokens.tool ?? 0) }
        : null,
      ...(model === undefined ? {} : { model }),
      ...extra,
    }),
  set: (fields: Record<string, unknown>) => JSON.stringify({ $set: fields }),
  rewind: (id: string) => JSON.stringify({ $rewindTo: id }),
};

export function lines(...ls: (string | string[])[]): string {
  return ls.flat().map((l) => l + '\n').join('');
}
