import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { withFileLock } from '../fs/file-lock.js';

export const TRUST_FILE = 'trust.json';

/** One trusted `.fleet.toml`: the SHA-256 of its bytes when the user trusted it, and those bytes (to show what changed). */
export interface TrustEntry {
  sha256: string;
  trusted_at: string;
  /** The trusted text, so a later `fleet trust` can show what changed since. */
  content: string;
}

interface TrustFile {
  version: 1;
  /** By repository root (the main checkout's real path). */
  repos: Record<string, TrustEntry>;
}

export function sha256(bytes: Buffer | string): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/**
 * `trust.json` in the fleet home (0600): which repository's `.fleet.toml` content the user
 * trusted, keyed by repository root + SHA-256 of the file's bytes, like `direnv allow` and
 * `mise trust`. A file whose bytes changed is untrusted again. Changes hold a lock across the
 * read-modify-write and land atomically.
 */
export class TrustStore {
  readonly file: string;

  constructor(readonly home: string) {
    this.file = path.join(home, TRUST_FILE);
  }

  /** The entry for a repository, or undefined. An unreadable store trusts nothing (with a warning). */
  lookup(repoRoot: string, warn?: (m: string) => void): TrustEntry | undefined {
    const data = this.read(warn);
    return Object.hasOwn(data.repos, repoRoot) ? data.repos[repoRoot] : undefined;
  }

  /** Trust `content` (whose SHA-256 is `hash`) as the `.fleet.toml` of `repoRoot`. */
  async trust(repoRoot: string, hash: string, content: string, now = new Date()): Promise<void> {
    await this.update((data) => {
      data.repos[repoRoot] = { sha256: hash, trusted_at: now.toISOString(), content };
    });
  }

  /** Forget a repository's trust; false when there was none. */
  async revoke(repoRoot: string): Promise<boolean> {
    let had = false;
    await this.update((data) => {
      had = Object.hasOwn(data.repos, repoRoot);
      delete data.repos[repoRoot];
    });
    return had;
  }

  private read(warn?: (m: string) => void): TrustFile {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return empty();
      throw new FleetError(`cannot read ${this.file}: ${(e as Error).message}`);
    }
    const data = parseTrustFile(text);
    if (!data) {
      warn?.(`${this.file} is unreadable, so no repository's .fleet.toml is trusted (fleet trust rewrites it)`);
      return empty();
    }
    return data;
  }

  private async update(fn: (data: TrustFile) => void): Promise<void> {
    fs.mkdirSync(this.home, { recursive: true, mode: 0o700 });
    // Trust changes are quick: a lock older than 5 s was left by a fleet that died.
    await withFileLock(this.file, 5_000, () => {
      let data: TrustFile;
      try {
        data = parseTrustFile(fs.readFileSync(this.file, 'utf8')) ?? empty();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        data = empty();
      }
      fn(data);
      atomicWrite(this.file, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
    });
  }
}

function empty(): TrustFile {
  return { version: 1, repos: {} };
}

/** The store, or null when it is not one (a hand edit, a truncated write from an old version). */
export function parseTrustFile(text: string): TrustFile | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null) return null;
  const repos = (doc as { repos?: unknown }).repos;
  if (typeof repos !== 'object' || repos === null || Array.isArray(repos)) return null;
  const out: TrustFile = empty();
  for (const [root, e] of Object.entries(repos as Record<string, unknown>)) {
    const entry = e as Partial<TrustEntry> | null;
    if (entry && typeof entry.sha256 === 'string' && /^[0-9a-f]{64}$/.test(entry.sha256)) {
      out.repos[root] = { sha256: entry.sha256, trusted_at: String(entry.trusted_at ?? ''), content: typeof entry.content === 'string' ? entry.content : '' };
    }
  }
  return out;
}
