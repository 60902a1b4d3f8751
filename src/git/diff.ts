import { parseNumstatZ, type NumstatEntry } from '../core/changes.js';
import { runInteractive, type Runner } from '../process/runner.js';

/** Files and lines changed between two commit-ish or trees. */
export async function diffNumstat(run: Runner, repo: string, from: string, to: string): Promise<NumstatEntry[]> {
  const r = await run('git', ['diff', '--numstat', '-z', from, to], { cwd: repo });
  return parseNumstatZ(r.stdout);
}

/** Do two commit-ish or trees differ? */
export async function differ(run: Runner, repo: string, from: string, to: string): Promise<boolean> {
  const r = await run('git', ['diff', '--quiet', from, to], { cwd: repo, reject: false });
  return r.exitCode !== 0;
}

/**
 * `git diff` on the terminal: git itself decides paging and colour (a pager on a terminal, plain
 * text into a pipe). Resolves to git's exit status.
 */
export function showDiff(repo: string, from: string, to: string, format: 'patch' | 'stat' | 'name-only'): Promise<number> {
  const flags = format === 'stat' ? ['--stat'] : format === 'name-only' ? ['--name-only'] : [];
  return runInteractive('git', ['diff', ...flags, from, to, '--'], { cwd: repo });
}

/**
 * The patch between two commit-ish or trees, as text without colour codes. No external diff
 * driver or textconv filter: either would run a program the repository's config names.
 */
export async function diffPatch(run: Runner, repo: string, from: string, to: string): Promise<string> {
  const r = await run('git', ['diff', '--no-color', '--no-ext-diff', '--no-textconv', from, to, '--'], { cwd: repo, keepTrailingNewline: true });
  return r.stdout;
}
