import fs from 'node:fs';

/**
 * Replace `file` with `text` so that a reader sees the old content or the new, never half of
 * either: write a temp file beside it (mode 0600), fsync it, rename it over. `durable: false`
 * skips the fsync, for caches on a hot path, where losing the last write to a crash costs nothing.
 */
export function atomicWrite(file: string, text: string, opts: { durable?: boolean } = {}): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, text);
      if (opts.durable !== false) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
