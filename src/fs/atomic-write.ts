import fs from 'node:fs';

export interface AtomicWriteOptions {
  /** fsync before the rename (default). Off for caches on a hot path, where losing the last write to a crash costs nothing. */
  durable?: boolean;
  /** The new file's mode (default 0600). */
  mode?: number;
  /** Replace an existing file (default). false: fail with EEXIST instead, and leave it as it is. */
  replace?: boolean;
}

/**
 * Write `file` so that a reader sees the old content or the new, never half of either: a temp
 * file beside it (opened exclusively, never through a link), fsync, then rename over the file
 * (or, with replace: false, link, which fails if the file appeared meanwhile). A rename replaces
 * a symbolic link itself, never the file it points to, so nothing is written through a link.
 */
export function atomicWrite(file: string, text: string, opts: AtomicWriteOptions = {}): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
  const fd = fs.openSync(tmp, flags, opts.mode ?? 0o600);
  try {
    try {
      fs.writeFileSync(fd, text);
      if (opts.durable !== false) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (opts.replace === false) {
      fs.linkSync(tmp, file);
      fs.unlinkSync(tmp);
    } else {
      fs.renameSync(tmp, file);
    }
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
