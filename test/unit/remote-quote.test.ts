import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shJoin, shQuote } from '../../src/core/shell-words.js';
import { ENV_BOOTSTRAP, envLine, remoteCommandLine } from '../../src/remote/shell-quote.js';

/** Strings a prompt, a branch or a path might hold, each one a way to break naive quoting. */
const HOSTILE = [
  '',
  ' ',
  "it's",
  "''",
  '"double" quotes',
  '$(touch /tmp/fleet-pwned)',
  '`touch /tmp/fleet-pwned`',
  '$HOME ${PATH} $1 $@ $*',
  'a; rm -rf /; b',
  'a && b || c | d > e < f & g',
  'line one\nline two\n',
  '\n\n',
  'tab\there\r\nand crlf',
  '\\ back\\slash \\n \\\'',
  '-n',
  '-e \\n',
  '--help',
  '=ls',
  '~',
  '~root/x',
  '*.ts ? [a-z]',
  '#not a comment',
  '!history !!',
  'ünïcødé 日本語 🚀',
  '%s %d %%',
  "x'\"'\"y",
  '\u001b[31mred\u001b[0m',
];

/** What a real POSIX shell makes of a command line: each resulting argv word, NUL-separated. */
function wordsAfterShell(shell: string, commandLine: string): string[] {
  const r = spawnSync(shell, ['-c', `set -- ${commandLine}; for w in "$@"; do printf '%s\\0' "$w"; done`], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\0').slice(0, -1);
}

describe('shQuote', () => {
  for (const shell of ['sh', 'bash', 'dash']) {
    it(`every hostile string survives ${shell} byte for byte, as one word`, () => {
      expect(wordsAfterShell(shell, shJoin(HOSTILE))).toEqual(HOSTILE);
    });
  }
  it('leaves plain words readable and quotes everything else', () => {
    expect(shQuote('list-panes')).toBe('list-panes');
    expect(shQuote('/home/u/.ai_fleet/repos/app')).toBe('/home/u/.ai_fleet/repos/app');
    expect(shQuote('a b')).toBe("'a b'");
    expect(shQuote("it's")).toBe("'it'\\''s'");
    expect(shQuote('~')).toBe("'~'");
    expect(shQuote('=ls')).toBe("'=ls'");
  });
});

describe('remoteCommandLine', () => {
  it('runs argv in cwd, and nothing when cd fails', () => {
    const dir = spawnSync('mktemp', ['-d'], { encoding: 'utf8' }).stdout.trim();
    const weird = `${dir}/it's $(x) \n dir`;
    spawnSync('mkdir', ['-p', weird]);
    const ok = spawnSync('sh', ['-c', remoteCommandLine(['sh', '-c', 'pwd; printf "%s|" "$@"', 'x', ...HOSTILE], weird)], { encoding: 'utf8' });
    expect(ok.stdout).toBe(`${weird}\n${HOSTILE.map((h) => `${h}|`).join('')}`);
    const missing = spawnSync('sh', ['-c', remoteCommandLine(['touch', `${dir}/ran`], `${dir}/nope`)], { encoding: 'utf8' });
    expect(missing.status).not.toBe(0);
    expect(spawnSync('test', ['-e', `${dir}/ran`]).status).not.toBe(0);
    spawnSync('rm', ['-rf', dir]);
  });
});

describe('envLine + ENV_BOOTSTRAP', () => {
  const values: Record<string, string> = {};
  HOSTILE.forEach((v, i) => (values[`V${i}`] = v));
  values.SECRET = 'sk-123\n\n%s\\012';

  for (const shell of ['sh', 'bash', 'dash']) {
    it(`${shell} gets every value back exactly, in one stdin line, and the rest of stdin goes to the command`, () => {
      const line = envLine(values);
      expect(line).not.toContain('\n');
      const names = Object.keys(values);
      const input = 'input line 1\ninput\0 with NUL\n';
      const r = spawnSync(
        shell,
        ['-c', ENV_BOOTSTRAP, 'fleet-run', '', 'sh', '-c', `for n in ${names.join(' ')}; do eval "printf '%s\\\\0' \\"\\$$n\\""; done; cat`],
        { input: `${line}\n${input}` },
      );
      expect(r.stderr.toString()).toBe('');
      const out = r.stdout.toString('utf8');
      const parts = out.split('\0');
      expect(parts.slice(0, names.length)).toEqual(names.map((n) => values[n]));
      expect(parts.slice(names.length).join('\0')).toBe(input);
    });
  }
  it('refuses names that are not variable names', () => {
    expect(() => envLine({ 'A-B': 'x' })).toThrow(/not an environment variable name/);
    expect(() => envLine({ 'A;rm': 'x' })).toThrow(/not an environment variable name/);
  });
});
