import { FleetError } from '../errors.js';

/**
 * Hold `<file>.lock` (proper-lockfile: a directory made atomically, its mtime refreshed while
 * held) across `fn`, so a read-modify-write of `file` by several fleet processes loses nothing.
 * A lock older than `staleMs` was left by a fleet that died, and is taken over.
 */
export async function withFileLock<T>(file: string, staleMs: number, fn: () => T | Promise<T>): Promise<T> {
  const mod = await import('proper-lockfile');
  const lockfile = (mod as unknown as { default?: typeof mod }).default ?? mod;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      lockfilePath: file + '.lock',
      stale: staleMs,
      update: Math.max(1_000, Math.floor(staleMs / 3)),
      retries: { retries: 200, factor: 1.3, minTimeout: 5, maxTimeout: 100, randomize: true },
    });
  } catch (e) {
    throw new FleetError(`cannot lock ${file}: ${(e as Error).message}`, {
      hint: `another fleet command may be stuck; if none is running, remove ${file}.lock`,
    });
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
