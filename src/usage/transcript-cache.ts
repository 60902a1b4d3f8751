// Incremental reading of agent transcripts, remembered in the fleet home.
//
// For every transcript file: <home>/usage-cache/<sha256(path)>.json holds the byte offset just past
// the last complete line, the 64 bytes before it (to notice a file rewritten in place), the inode,
// and the parser's state (running totals and the dedup keys it needs across appends). The partial
// last line is not stored: it is still in the file and is read again, whole, once it is finished.
// That state is saved again only when reading has moved CHECKPOINT_BYTES past it (re-reading a
// few KB is cheaper than an fsync), so an active agent costs a write every 64 KB of transcript.
// <home>/usage-cache/index.json keeps, per file, the inode/size/mtime it was last read at and the
// totals then, so a `list` of agents whose transcripts did not change costs one lstat each and one
// small JSON read, not a state file per agent. Both are written atomically (temp + fsync + rename,
// mode 0600). A file smaller than the offset, with another inode, or whose bytes before the offset
// changed, is read again from the start. A file that disappeared keeps its last totals.
//
// Transcript paths can come from an agent's hook payload, i.e. from the agent: a path is opened
// with O_NOFOLLOW | O_NONBLOCK and read only when it is a regular file, so neither a symlink nor a
// FIFO planted there is followed or blocks fleet.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { claudeParser } from '../core/usage/claude.js';
import { codexParser } from '../core/usage/codex.js';
import { geminiParser } from '../core/usage/gemini.js';
import { foldLines, type ParserState, type TranscriptKind, type TranscriptParser } from '../core/usage/parser.js';
import { mergeTotals, type UsageTotals } from '../core/usage/types.js';
import { atomicWrite } from '../fs/atomic-write.js';

export const PARSERS: Record<TranscriptKind, TranscriptParser<ParserState>> = {
  claude: claudeParser,
  codex: codexParser,
  gemini: geminiParser,
};

export interface TranscriptRef {
  path: string;
  kind: TranscriptKind;
}

export interface FileStat {
  ino: number;
  size: number;
  mtimeMs: number;
  isFile: boolean;
}

/** The file operations the reader needs; tests pass a wrapper that counts bytes read. */
export interface TranscriptIO {
  /** lstat: null when the path does not exist. */
  lstat(file: string): FileStat | null;
  /** Open for reading without following a symlink or blocking on a FIFO. */
  open(file: string): number;
  fstat(fd: number): FileStat;
  read(fd: number, buf: Buffer, offset: number, length: number, position: number): number;
  close(fd: number): void;
}

function toStat(s: fs.Stats): FileStat {
  return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, isFile: s.isFile() };
}

export const nodeIO: TranscriptIO = {
  lstat(file) {
    try {
      return toStat(fs.lstatSync(file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw e;
    }
  },
  open: (file) => fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK),
  fstat: (fd) => toStat(fs.fstatSync(fd)),
  read: (fd, buf, offset, length, position) => fs.readSync(fd, buf, offset, length, position),
  close: (fd) => fs.closeSync(fd),
};

export interface FileUsage {
  path: string;
  kind: TranscriptKind;
  totals: UsageTotals;
  /** read: new bytes were read; cached: unchanged since last time; missing: gone or not a regular file (last totals kept). */
  status: 'read' | 'cached' | 'missing';
  bytesRead: number;
}

interface IndexEntry {
  kind: TranscriptKind;
  ino: number;
  size: number;
  mtimeMs: number;
  totals: UsageTotals;
}

interface IndexFile {
  version: 1;
  files: Record<string, IndexEntry>;
}

interface StateFile {
  version: 1;
  path: string;
  kind: TranscriptKind;
  ino: number;
  size: number;
  mtimeMs: number;
  offset: number;
  /** base64 of the bytes just before `offset`. */
  tail: string;
  state: unknown;
}

const CACHE_DIR = 'usage-cache';
const TAIL_BYTES = 64;
const CHUNK = 4 * 1024 * 1024;
/** Save a file's parser state once reading has moved this far past the saved one. */
export const CHECKPOINT_BYTES = 64 * 1024;

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined; // missing or corrupt: the cache is rebuilt from the transcripts
  }
}

/**
 * Reads transcripts, each only from where it was read last time. One instance per command: it
 * loads the index once, and flush() writes it back once.
 */
export class TranscriptCache {
  readonly dir: string;
  private index: IndexFile | undefined;
  private indexChanged = false;

  constructor(
    home: string,
    private readonly io: TranscriptIO = nodeIO,
  ) {
    this.dir = path.join(home, CACHE_DIR);
  }

  /** Totals of one transcript, reading only what was appended since the last call (in any process). */
  read(ref: TranscriptRef): FileUsage {
    const file = path.resolve(ref.path);
    const parser = PARSERS[ref.kind];
    const index = this.loadIndex();
    const known = Object.hasOwn(index.files, file) ? index.files[file] : undefined;
    const st = this.io.lstat(file);
    const missing = (): FileUsage => ({ path: file, kind: ref.kind, totals: this.lastKnown(file, ref.kind, parser), status: 'missing', bytesRead: 0 });
    if (!st || !st.isFile) return missing();
    if (known && known.kind === ref.kind && known.ino === st.ino && known.size === st.size && known.mtimeMs === st.mtimeMs) {
      return { path: file, kind: ref.kind, totals: known.totals, status: 'cached', bytesRead: 0 };
    }

    let fd: number;
    try {
      fd = this.io.open(file);
    } catch {
      // Replaced by a symlink, vanished, or unreadable since the lstat.
      return missing();
    }
    try {
      const fst = this.io.fstat(fd);
      if (!fst.isFile) return missing();
      const stateFile = this.stateFileFor(file);
      const saved = this.loadState(stateFile, file, ref.kind, parser);
      const { state, offset, tail, bytesRead, resumedAt } = this.advance(fd, fst, parser, saved, file);
      // Saving the state costs a write and an fsync; reading a few KB again costs far less. So the
      // state is saved when it was rebuilt or has moved on by CHECKPOINT_BYTES; until then the next
      // reader starts from the older (equally consistent) saved state and reads a little more.
      if (resumedAt === null ? !(parser.whole && file.endsWith('.json')) : offset - resumedAt >= CHECKPOINT_BYTES) {
        const record: StateFile = {
          version: 1, path: file, kind: ref.kind, ino: fst.ino, size: fst.size, mtimeMs: fst.mtimeMs,
          offset, tail: tail.toString('base64'), state: parser.pack ? parser.pack(state) : state,
        };
        this.save(stateFile, JSON.stringify(record));
      }
      index.files[file] = { kind: ref.kind, ino: fst.ino, size: fst.size, mtimeMs: fst.mtimeMs, totals: state.totals };
      this.indexChanged = true;
      return { path: file, kind: ref.kind, totals: state.totals, status: 'read', bytesRead };
    } finally {
      this.io.close(fd);
    }
  }

  /** Totals of several transcripts (an agent's main transcript and its sub-agents') added up. */
  readAll(refs: readonly TranscriptRef[]): { totals: UsageTotals; files: FileUsage[] } {
    const files = refs.map((r) => this.read(r));
    const totals: UsageTotals = {};
    for (const f of files) mergeTotals(totals, f.totals);
    return { totals, files };
  }

  /**
   * Drop what is remembered of transcripts (when their agent's record is dropped for good); the
   * usage itself belongs in the agent's record history, not in this cache.
   */
  forget(files: readonly string[]): void {
    const index = this.loadIndex();
    for (const f of files) {
      const file = path.resolve(f);
      if (Object.hasOwn(index.files, file)) {
        delete index.files[file];
        this.indexChanged = true;
      }
      fs.rmSync(this.stateFileFor(file), { force: true });
    }
  }

  /** Write the index back if anything was read. */
  flush(): void {
    if (!this.indexChanged || !this.index) return;
    this.save(path.join(this.dir, 'index.json'), JSON.stringify(this.index));
    this.indexChanged = false;
  }

  /** Problems writing the cache (a full disk, a read-only home): the totals were right, only not remembered. */
  readonly warnings: string[] = [];

  private save(file: string, data: string): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      atomicWrite(file, data);
    } catch (e) {
      this.warnings.push(`could not write the usage cache ${file}: ${(e as Error).message}`);
    }
  }

  /** The totals last read from a transcript that is gone now: from the index, else from its saved state. */
  private lastKnown(file: string, kind: TranscriptKind, parser: TranscriptParser<ParserState>): UsageTotals {
    const index = this.loadIndex();
    const known = Object.hasOwn(index.files, file) ? index.files[file] : undefined;
    if (known) return known.kind === kind ? known.totals : {};
    return this.loadState(this.stateFileFor(file), file, kind, parser)?.state.totals ?? {};
  }

  private loadIndex(): IndexFile {
    if (this.index) return this.index;
    const raw = readJson(path.join(this.dir, 'index.json')) as Partial<IndexFile> | undefined;
    this.index = raw && raw.version === 1 && typeof raw.files === 'object' && raw.files !== null ? (raw as IndexFile) : { version: 1, files: {} };
    return this.index;
  }

  private stateFileFor(file: string): string {
    return path.join(this.dir, crypto.createHash('sha256').update(file).digest('hex').slice(0, 32) + '.json');
  }

  private loadState(stateFile: string, file: string, kind: TranscriptKind, parser: TranscriptParser<ParserState>) {
    const raw = readJson(stateFile) as Partial<StateFile> | undefined;
    if (!raw || raw.version !== 1 || raw.path !== file || raw.kind !== kind || typeof raw.offset !== 'number' || typeof raw.tail !== 'string') return null;
    const state = parser.unpack ? parser.unpack(raw.state) : (raw.state as ParserState | undefined);
    if (!state || typeof state !== 'object' || typeof state.totals !== 'object') return null;
    return { raw: raw as StateFile, state };
  }

  /** Fold the file's new lines into the saved state (or a fresh one when the file is not the one we read). */
  private advance(fd: number, st: FileStat, parser: TranscriptParser<ParserState>, saved: ReturnType<TranscriptCache['loadState']>, file: string) {
    let bytesRead = 0;
    const readAt = (buf: Buffer, position: number): number => {
      let got = 0;
      while (got < buf.length) {
        const n = this.io.read(fd, buf, got, buf.length - got, position + got);
        if (n === 0) break;
        got += n;
      }
      bytesRead += got;
      return got;
    };

    // A file rewritten whole each time (gemini's legacy .json) is parsed whole when it changed.
    if (parser.whole && file.endsWith('.json')) {
      const state = parser.init();
      const buf = Buffer.allocUnsafe(st.size);
      const n = readAt(buf, 0);
      parser.whole(state, buf.toString('utf8', 0, n));
      return { state, offset: n, tail: Buffer.alloc(0), bytesRead, resumedAt: null };
    }

    let state: ParserState = parser.init();
    let offset = 0;
    let tail: Buffer = Buffer.alloc(0);
    let resumedAt: number | null = null;
    if (saved && saved.raw.ino === st.ino && saved.raw.offset <= st.size) {
      const want = Buffer.from(saved.raw.tail, 'base64');
      const check = Buffer.allocUnsafe(want.length);
      // The bytes before the offset must still be those we read: else the file was rewritten.
      if (readAt(check, saved.raw.offset - want.length) === want.length && check.equals(want)) {
        state = saved.state;
        offset = saved.raw.offset;
        resumedAt = offset;
        tail = want;
      }
    }

    const needles = parser.needles.map((n) => Buffer.from(n));
    let buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(st.size - offset, 1) + 1));
    let have = 0;
    let pos = offset;
    for (;;) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const n = readAt(buf.subarray(have), pos);
      if (n === 0) break;
      pos += n;
      have += n;
      const lastNl = buf.lastIndexOf(10, have - 1);
      if (lastNl === -1) continue;
      const done = lastNl + 1;
      foldLines(buf, done, needles, (text) => parser.line(state, text));
      offset += done;
      tail = lastBytes(tail, buf.subarray(0, done), TAIL_BYTES);
      buf.copy(buf, 0, done, have);
      have -= done;
    }
    return { state, offset, tail, bytesRead, resumedAt };
  }
}

/** The last `n` bytes of `a` followed by `b`. */
function lastBytes(a: Buffer, b: Buffer, n: number): Buffer {
  if (b.length >= n) return Buffer.from(b.subarray(b.length - n));
  return Buffer.concat([a.subarray(Math.max(0, a.length - (n - b.length))), b]);
}
