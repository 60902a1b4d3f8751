// What every transcript parser provides: a JSON-serialisable state that folds one line at a time,
// so the reader can stop at any line boundary, save the state, and go on from there later.
import type { UsageTotals } from './types.js';

export type TranscriptKind = 'claude' | 'codex' | 'gemini';

export interface ParserState {
  totals: UsageTotals;
}

export interface TranscriptParser<S extends ParserState = ParserState> {
  kind: TranscriptKind;
  /**
   * Every line that can change the totals contains one of these strings (an object key as the
   * agent serialises it). Other lines are skipped without JSON.parse: transcripts are mostly
   * tool output, and parsing only what matters is what makes the first read of 250 MB cheap.
   */
  needles: readonly string[];
  init(): S;
  /** Fold one complete line (without its newline) into the state. Bad JSON is ignored. */
  line(state: S, text: string): void;
  /** For a file that is rewritten whole instead of appended to (gemini's legacy .json): fold it all. */
  whole?(state: S, text: string): void;
  /** State as stored in the cache, when its in-memory form is not plain JSON (a Set, say). */
  pack?(state: S): unknown;
  unpack?(stored: unknown): S | null;
}

/** JSON.parse that returns undefined instead of throwing (a torn or foreign line is not an error). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-negative whole token count, or 0 for anything else (missing, null, negative, text). */
export function count(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/**
 * A 64-bit FNV-1a hash as 16 hex characters: dedup keys are remembered in the cache by hash, so a
 * long session's key set stays small (16 bytes a message) whatever its ids look like.
 */
export function hashKey(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/** Call `fold` with every line in buf[0, end) that contains one of `needles`, in file order. */
export function foldLines(buf: Buffer, end: number, needles: readonly Buffer[], fold: (line: string) => void): void {
  const starts: number[] = [];
  for (const needle of needles) {
    let at = buf.indexOf(needle, 0);
    while (at !== -1 && at < end) {
      const start = buf.lastIndexOf(10, at) + 1;
      starts.push(start);
      const nl = buf.indexOf(10, at);
      at = nl === -1 || nl >= end ? -1 : buf.indexOf(needle, nl + 1);
    }
  }
  if (needles.length > 1) starts.sort((a, b) => a - b);
  let last = -1;
  for (const start of starts) {
    if (start === last) continue;
    last = start;
    let stop = buf.indexOf(10, start);
    if (stop === -1 || stop > end) stop = end;
    if (stop > start && buf[stop - 1] === 13) stop--;
    fold(buf.toString('utf8', start, stop));
  }
}
