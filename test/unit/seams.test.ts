import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.join(__dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** `file:line` of every call of `program` through a runner outside the folder that owns it. */
function callsOutside(program: string, owner: string): string[] {
  const call = new RegExp(`run\\(\\s*'${program}'`);
  return sources(SRC)
    .filter((f) => !f.startsWith(path.join(SRC, owner) + path.sep))
    .flatMap((f) =>
      fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (call.test(line) ? [`${path.relative(SRC, f)}:${i + 1}`] : [])),
    );
}

describe('one seam per program (#10)', () => {
  it('every git call is in src/git/', () => {
    expect(callsOutside('git', 'git')).toEqual([]);
  });

  it('every tmux call is in src/tmux/', () => {
    expect(callsOutside('tmux', 'tmux')).toEqual([]);
  });
});

describe('command files (#10)', () => {
  it('no command imports a sibling: what two commands share lives in ops/, core/ or ui/', () => {
    const sibling = /from '\.\/[^']+'/;
    const offenders = sources(path.join(SRC, 'commands')).flatMap((f) =>
      fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (sibling.test(line) ? [`${path.relative(SRC, f)}:${i + 1}`] : [])),
    );
    expect(offenders).toEqual([]);
  });
});
