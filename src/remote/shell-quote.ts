import { shJoin, shQuote } from '../core/shell-words.js';

// Quoting itself lives in core/shell-words (retry hints quote too); re-exported for the remote code's importers.
export { shJoin, shQuote };

/**
 * The command line a remote shell runs for `argv` in `cwd`. A failing `cd` stops it (the
 * command never runs in the wrong directory).
 */
export function remoteCommandLine(argv: readonly string[], cwd?: string): string {
  if (argv.length === 0) throw new Error('remoteCommandLine: empty argv');
  const cmd = shJoin(argv);
  return cwd === undefined ? cmd : `cd ${shQuote(cwd)} && ${cmd}`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Environment variables as ONE line of POSIX shell (`export K='v'; …`), to be read with
 * `IFS= read -r` and eval'd by the remote side: env values may be secrets, and a command line
 * is visible in ps on both ends, stdin is not. A value with a newline would end the line, so
 * such a value is spelled as a printf format (\012 for the newline) inside a command
 * substitution, with a trailing "_" that keeps $(…) from eating trailing newlines.
 */
export function envLine(env: Readonly<Record<string, string>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!ENV_NAME.test(k)) throw new Error(`not an environment variable name: "${k}"`);
    if (v.includes('\0')) throw new Error(`environment variable ${k} contains a NUL byte`);
    if (!/[\n\r]/.test(v)) {
      parts.push(`export ${k}=${shQuote(v)}`);
      continue;
    }
    const fmt = v.replace(/\\/g, '\\\\').replace(/%/g, '%%').replace(/\n/g, '\\012').replace(/\r/g, '\\015');
    parts.push(`${k}=$(printf ${shQuote(fmt + '_')}); export ${k}="\${${k}%_}"`);
  }
  return parts.join('; ');
}

/**
 * The fixed script (safe on a command line: it holds no values) that runs argv with env from
 * stdin: `sh -c BOOTSTRAP fleet-run <cwd or ""> cmd args…`, stdin = envLine + "\n" + input.
 * `read` takes exactly one line (POSIX shells read stdin byte by byte for it), so the command
 * gets the rest of stdin untouched.
 */
export const ENV_BOOTSTRAP = [
  'IFS= read -r fleet_env || exit 125',
  'eval "$fleet_env" || exit 125',
  'unset fleet_env',
  'if [ -n "$1" ]; then cd "$1" || exit 1; fi',
  'shift',
  'exec "$@"',
].join('; ');
