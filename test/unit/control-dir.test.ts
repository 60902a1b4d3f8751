import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { controlDir } from '../../src/remote/control-dir.js';

const made: string[] = [];
const tmp = () => {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-cd-')));
  made.push(d);
  return d;
};
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('controlDir', () => {
  it('is <fleet home>/ssh, private, when a socket path there fits', () => {
    const home = path.join(tmp(), 'fleet');
    const dir = controlDir(home);
    expect(dir).toBe(path.join(home, 'ssh'));
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });
  it('falls back to a private per-user directory when the home is too deep for a 104-byte socket path', () => {
    const base = tmp();
    const deep = path.join(tmp(), 'x'.repeat(60), 'fleet');
    const dir = controlDir(deep, base);
    expect(dir).toBe(path.join(base, `fleet-ssh-${process.getuid!()}`));
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(Buffer.byteLength(path.join(dir, 'f'.repeat(40) + '.' + 'r'.repeat(16)))).toBeLessThan(104);
  });
  it('refuses a fallback someone else could reach', () => {
    const base = tmp();
    fs.mkdirSync(path.join(base, `fleet-ssh-${process.getuid!()}`), { mode: 0o755 });
    fs.chmodSync(path.join(base, `fleet-ssh-${process.getuid!()}`), 0o755);
    expect(() => controlDir(path.join(tmp(), 'y'.repeat(80)), base)).toThrow(/is not a private directory of this user/);
  });
});
