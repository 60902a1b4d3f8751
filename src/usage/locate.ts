// Which transcripts belong to an agent, from its kind, its worktree, when it started and (where
// the agent's hooks told fleet) its conversation id. Only directories are listed and files
// lstat'ed; the cache (transcript-cache.ts) reads them, opening nothing through a symlink.
//
// - claude (@anthropic-ai/claude-code 2.1.197): sessions live in
//   `${CLAUDE_CONFIG_DIR ?? ~/.claude}/projects/${$E(cwd)}/<session id>.jsonl`, where
//   `$E(e) = e.replace(/[^a-zA-Z0-9]/g, "-")`, cut to 200 characters plus
//   `-${Math.abs(hash(e)).toString(36)}` when longer (hash: `t = (t << 5) - t + charCode | 0`). The
//   cwd is the process's own (symlinks resolved), so the worktree path is tried as given and
//   resolved. Every session in that directory written since the agent started is the agent's:
//   `/clear`, a resume or a fork start a new session file in the same directory, and all of them
//   were paid for by this agent. (Sub-agent transcripts come with each session: claudeSessionFiles.)
// - gemini (@google/gemini-cli 0.61.0): `${GEMINI_CLI_HOME ?? ~}/.gemini/tmp/<project id>/chats/
//   session-<time>-<session id[0..8]>.jsonl`, where the project id is the worktree's entry in
//   `~/.gemini/projects.json` ({projects: {<path.resolve(cwd)>: slug}}), or, before that registry,
//   the sha256 of the path. Like claude, every session there since the agent started counts.
//   Agents fleet starts with hooks run with GEMINI_CLI_HOME at fleet's own gemini home
//   (src/hooks/gemini-home.ts): its projects.json is its own, its tmp/ a link to the user's (or
//   its own, when the user had none yet); both homes are looked in.
// - codex (0.171.0): `${CODEX_HOME ?? ~/.codex}/sessions/YYYY/MM/DD/rollout-<time>-<session id>.jsonl`.
//   Rollouts of all projects share those directories, so an agent's is found by its session id
//   (its conversation id) in the days around its start; without the id there is none to read yet.
// A transcript path an agent's hook reported is used only when it lies under that kind's own
// directory: the path comes from the agent, and fleet reads nothing else on its word.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TranscriptKind } from '../core/usage/parser.js';
import { claudeSessionFiles, codexSessionFiles, geminiSessionFiles } from './session-files.js';
import type { TranscriptRef } from './transcript-cache.js';

/** What locating an agent's transcripts needs to know of it. */
export interface TranscriptOwner {
  kind: TranscriptKind;
  worktree: string;
  /** When the agent was made (ISO 8601): older sessions in the same directory are not its. */
  createdAt: string;
  /** The agent's own session id, where fleet chose or learned it. */
  conversation?: string | null;
  /** The transcript path the agent's hooks reported. */
  transcript?: string | null;
}

/** The environment variables that move the agents' directories. */
export type LocateEnv = Partial<Record<'HOME' | 'CLAUDE_CONFIG_DIR' | 'CODEX_HOME' | 'GEMINI_CLI_HOME', string>>;

/**
 * The record is stamped before the agent starts, so its sessions are written after created_at;
 * the slack only covers file systems that keep modification times in whole (or two) seconds.
 * Kept small: a session of the previous agent on the same branch, killed a minute before this one
 * was made, is not this one's.
 */
const SLACK_MS = 2_000;
const DAY_MS = 86_400_000;
const CONVERSATION_ID = /^[A-Za-z0-9_-]{1,128}$/;

function home(env: LocateEnv): string {
  return env.HOME && env.HOME !== '' ? env.HOME : os.homedir();
}

export function claudeProjectsDir(env: LocateEnv): string {
  return path.join(env.CLAUDE_CONFIG_DIR?.trim() ? env.CLAUDE_CONFIG_DIR : path.join(home(env), '.claude'), 'projects');
}

export function codexSessionsDir(env: LocateEnv): string {
  return path.join(env.CODEX_HOME?.trim() ? env.CODEX_HOME : path.join(home(env), '.codex'), 'sessions');
}

export function geminiDir(env: LocateEnv): string {
  return path.join(env.GEMINI_CLI_HOME?.trim() ? env.GEMINI_CLI_HOME : home(env), '.gemini');
}

/** Claude Code's directory name for a cwd (its `$E`). */
export function claudeProjectName(cwd: string): string {
  const name = cwd.replace(/[^a-zA-Z0-9]/g, '-');
  if (name.length <= 200) return name;
  let h = 0;
  for (let i = 0; i < cwd.length; i++) h = ((h << 5) - h + cwd.charCodeAt(i)) | 0;
  return `${name.slice(0, 200)}-${Math.abs(h).toString(36)}`;
}

/**
 * The worktree path as given and with symlinks resolved (the agent sees the latter as its cwd).
 * A removed worktree (a killed agent) resolves through its nearest existing parent.
 */
function cwdForms(worktree: string): string[] {
  const given = path.resolve(worktree);
  const real = realpathOfExisting(given);
  return real === given ? [given] : [given, real];
}

function realpathOfExisting(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    const parent = path.dirname(p);
    return parent === p ? p : path.join(realpathOfExisting(parent), path.basename(p));
  }
}

function isWithin(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Regular files directly in `dir` whose name passes `keep`, written since `since` (ms). */
function filesSince(dir: string, since: number, keep: (name: string) => boolean): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    if (!keep(name)) continue;
    const p = path.join(dir, name);
    try {
      const st = fs.lstatSync(p);
      if (st.isFile() && st.mtimeMs >= since) out.push(p);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Reads `~/.gemini/projects.json` once per locator. */
class GeminiProjects {
  private map: Record<string, string> | null = null;
  constructor(private readonly dir: string) {}

  slugsFor(cwd: string): string[] {
    if (this.map === null) {
      this.map = {};
      try {
        const raw = JSON.parse(fs.readFileSync(path.join(this.dir, 'projects.json'), 'utf8')) as { projects?: unknown };
        if (raw.projects && typeof raw.projects === 'object') {
          for (const [k, v] of Object.entries(raw.projects)) if (typeof v === 'string') this.map[k] = v;
        }
      } catch {
        // no registry yet
      }
    }
    const out: string[] = [];
    const slug = Object.hasOwn(this.map, cwd) ? this.map[cwd] : undefined;
    // A slug is a directory name: nothing with a separator or "..".
    if (slug && /^[A-Za-z0-9._-]+$/.test(slug) && slug !== '.' && slug !== '..') out.push(slug);
    out.push(crypto.createHash('sha256').update(cwd).digest('hex'));
    return out;
  }
}

export interface LocatorOptions {
  now?: () => number;
  /** More GEMINI_CLI_HOME directories agents ran with (fleet's own gemini home). */
  geminiHomes?: readonly string[];
}

/**
 * Finds agents' transcripts. One per command: it reads gemini's project registries at most once.
 */
export class TranscriptLocator {
  private readonly now: () => number;
  /** Each gemini directory (…/.gemini) with its registry. */
  private readonly gemini: { dir: string; projects: GeminiProjects }[];

  constructor(
    private readonly env: LocateEnv,
    opts: LocatorOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    const dirs = [geminiDir(env), ...(opts.geminiHomes ?? []).map((h) => path.join(h, '.gemini'))];
    this.gemini = [...new Set(dirs)].map((dir) => ({ dir, projects: new GeminiProjects(dir) }));
  }

  /** The agent's transcripts (main sessions with their sub-agents'), possibly none yet. */
  locate(owner: TranscriptOwner): TranscriptRef[] {
    const created = Date.parse(owner.createdAt);
    const since = Number.isFinite(created) ? created - SLACK_MS : 0;
    const conversation = owner.conversation && CONVERSATION_ID.test(owner.conversation) ? owner.conversation : null;
    let mains: string[];
    let expand: (main: string) => TranscriptRef[];
    let roots: string[];
    if (owner.kind === 'claude') {
      const root = claudeProjectsDir(this.env);
      roots = [root];
      mains = cwdForms(owner.worktree).flatMap((cwd) => filesSince(path.join(root, claudeProjectName(cwd)), since, (n) => n.endsWith('.jsonl')));
      expand = claudeSessionFiles;
    } else if (owner.kind === 'gemini') {
      // Every registry's slugs in every tmp/ (one tmp/ is usually a link to the other: once each).
      roots = [...new Set(this.gemini.map((g) => realpathOfExisting(path.join(g.dir, 'tmp'))))];
      const slugs = [...new Set(cwdForms(owner.worktree).flatMap((cwd) => this.gemini.flatMap((g) => g.projects.slugsFor(cwd))))];
      mains = roots.flatMap((root) => slugs.flatMap((slug) => filesSince(path.join(root, slug, 'chats'), since, (n) => n.startsWith('session-') && (n.endsWith('.jsonl') || n.endsWith('.json')))));
      roots.push(...this.gemini.map((g) => path.join(g.dir, 'tmp')));
      expand = geminiSessionFiles;
    } else {
      const root = codexSessionsDir(this.env);
      roots = [root];
      mains = conversation ? this.codexRollouts(root, conversation, since) : [];
      expand = codexSessionFiles;
    }
    const reported = owner.transcript ? path.resolve(owner.transcript) : null;
    if (reported && roots.some((r) => isWithin(reported, r))) mains.push(reported);
    const seen = new Set<string>();
    const refs: TranscriptRef[] = [];
    // One path per file: a file reached through a linked directory is the same file.
    for (const main of new Set(mains.map(realpathOfExisting))) {
      for (const ref of expand(main)) {
        if (seen.has(ref.path)) continue;
        seen.add(ref.path);
        refs.push(ref);
      }
    }
    return refs;
  }

  /**
   * The rollout of codex session `id`. codex makes it when the session starts, right after the
   * agent's launch, and a resume appends to it; so only the days around the agent's start are
   * listed (a session started later reaches fleet through its hook's transcript path).
   */
  private codexRollouts(root: string, id: string, since: number): string[] {
    const days = new Set<string>();
    const end = Math.min(this.now() + DAY_MS, since + 3 * DAY_MS);
    // Day directories may be named in local time or UTC: list both around each day.
    for (let t = since - DAY_MS; t <= end; t += DAY_MS) {
      const d = new Date(t);
      days.add(path.join(String(d.getFullYear()), pad(d.getMonth() + 1), pad(d.getDate())));
      days.add(path.join(String(d.getUTCFullYear()), pad(d.getUTCMonth() + 1), pad(d.getUTCDate())));
    }
    const suffix = `-${id}.jsonl`;
    return [...days].sort().flatMap((day) => filesSince(path.join(root, day), 0, (n) => n.startsWith('rollout-') && n.endsWith(suffix)));
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
