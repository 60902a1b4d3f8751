import { UsageError } from '../errors.js';

/**
 * Prompt templates: Markdown with `{{name}}` placeholders (`{{ issue.title }}` with spaces works
 * too). Rendering is plain text substitution: no escaping, no shell, no expressions, so a value
 * with quotes, `$(…)`, backticks or newlines lands byte for byte. `\{{` writes a literal `{{`.
 * Anything between braces that is not a name (`{{ .Field }}`, `{{#each}}`) is left as written.
 */

/** A name: letters, digits, `_` and `-`, starting with a letter or `_`; dotted parts allowed. */
const NAME = '[A-Za-z_][A-Za-z0-9_-]*(?:\\.[A-Za-z_][A-Za-z0-9_-]*)*';
const NAME_RE = new RegExp(`^${NAME}$`);
/** A placeholder starting right here: `{{`, optional spaces or tabs, a name, spaces or tabs, `}}`. */
const PLACEHOLDER_AT = new RegExp(`\\{\\{[ \\t]*(${NAME})[ \\t]*\\}\\}`, 'y');

type Piece = { text: string } | { name: string; raw: string };

/**
 * Split a template into literal text and placeholders. Backslashes right before `{{` pair up as
 * in Handlebars: `\{{` is a literal `{{`, `\\{{x}}` a literal backslash and then the placeholder.
 * `{{` that does not start a placeholder stays as written, one brace at a time, so
 * `{{{name}}}` still finds `{{name}}` inside.
 */
function scan(text: string): Piece[] {
  const pieces: Piece[] = [];
  let lit = '';
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('{{', i);
    if (at === -1) {
      lit += text.slice(i);
      break;
    }
    let slashes = 0;
    while (at - slashes - 1 >= i && text[at - slashes - 1] === '\\') slashes++;
    lit += text.slice(i, at - slashes) + '\\'.repeat(Math.floor(slashes / 2));
    if (slashes % 2 === 1) {
      lit += '{{';
      i = at + 2;
      continue;
    }
    PLACEHOLDER_AT.lastIndex = at;
    const m = PLACEHOLDER_AT.exec(text);
    if (!m) {
      lit += '{';
      i = at + 1;
      continue;
    }
    if (lit) pieces.push({ text: lit });
    lit = '';
    pieces.push({ name: m[1]!, raw: m[0] });
    i = at + m[0].length;
  }
  if (lit) pieces.push({ text: lit });
  return pieces;
}

export const ISSUE_VARIABLES = ['issue.number', 'issue.title', 'issue.body', 'issue.url', 'issue.labels'] as const;
/** Variables fleet fills in itself; `--var` cannot set them. */
export const BUILTIN_VARIABLES = ['prompt', 'branch', 'repo', 'base', ...ISSUE_VARIABLES] as const;

export function isVariableName(s: string): boolean {
  return NAME_RE.test(s);
}

export function isBuiltinVariable(name: string): boolean {
  return (BUILTIN_VARIABLES as readonly string[]).includes(name) || name.startsWith('issue.');
}

/** Placeholder names in order of first use, each once. */
export function templateVariables(text: string): string[] {
  const seen = new Set<string>();
  for (const p of scan(text)) if ('name' in p) seen.add(p.name);
  return [...seen];
}

/**
 * Substitute every placeholder. `lookup` returns the value, or undefined when the variable is
 * not set: those names are collected and nothing is rendered (the caller reports them all at once).
 */
export function substitute(text: string, lookup: (name: string) => string | undefined): { text: string; missing: string[] } {
  const missing = new Set<string>();
  let out = '';
  for (const p of scan(text)) {
    if ('text' in p) {
      out += p.text;
      continue;
    }
    const v = lookup(p.name);
    if (v === undefined) missing.add(p.name);
    out += v ?? p.raw;
  }
  return { text: out, missing: [...missing] };
}

/** Parse `--var key=value` flags (the value may hold "=" and anything else). Last one wins. */
export function parseVarFlags(flags: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(`--var "${flag}" is not key=value`, 'e.g. --var focus="error handling" (the value may contain anything, "=" too)');
    }
    const key = flag.slice(0, eq).trim();
    if (!isVariableName(key)) {
      throw new UsageError(`--var "${key}": a variable name is letters, digits, "_" and "-" (dots between parts)`, 'e.g. --var focus=security');
    }
    if (isBuiltinVariable(key)) {
      throw new UsageError(
        `--var "${key}": {{${key}}} is filled in by fleet`,
        key === 'prompt' ? 'give the text with --prompt instead' : key.startsWith('issue.') ? 'use --issue REF instead' : 'pick another name for your variable',
      );
    }
    vars[key] = flag.slice(eq + 1);
  }
  return vars;
}
