import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FleetError } from '../errors.js';

/**
 * A unix socket path holds at most 104 bytes (macOS; 108 on Linux). ssh's %C is 40 hex
 * characters, and while it sets a master up it binds "<path>.<16 random characters>" first.
 */
const SOCKET_PATH_MAX = 104;
const SOCKET_NAME_LEN = '/'.length + 40 + '.'.length + 16;

/**
 * The directory for fleet's ssh control sockets: `<fleet home>/ssh`, mode 0700 (whoever can
 * reach a master socket can run commands on the host as the user). When the fleet home is too
 * deep for a socket path, a per-user directory under the system temp dir, checked to be ours,
 * a real directory and private before use.
 */
export function controlDir(fleetHome: string, tmpBase = fs.existsSync('/tmp') ? '/tmp' : os.tmpdir()): string {
  const preferred = path.join(fleetHome, 'ssh');
  if (Buffer.byteLength(preferred) + SOCKET_NAME_LEN < SOCKET_PATH_MAX) {
    fs.mkdirSync(preferred, { recursive: true, mode: 0o700 });
    fs.chmodSync(preferred, 0o700);
    return preferred;
  }
  const uid = process.getuid?.() ?? 0;
  // /tmp rather than $TMPDIR: macOS's TMPDIR alone is ~50 bytes deep.
  const fallback = path.join(tmpBase, `fleet-ssh-${uid}`);
  try {
    fs.mkdirSync(fallback, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(fallback);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new FleetError(`${fallback} is not a private directory of this user; fleet will not put ssh sockets there`, {
      hint: `remove it, or set AI_FLEET_HOME to a shorter path`,
    });
  }
  return fallback;
}
