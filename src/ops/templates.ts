import fs from 'node:fs';
import path from 'node:path';
import { FleetError, UsageError } from '../errors.js';
import { fleetHome } from '../config/paths.js';
import { MAX_ARG_BYTES } from '../core/create-plan.js';
import { isBuiltinVariable, templateVariables } from '../core/template.js';
import type { Template } from '../core/prompt.js';
import { tildify } from '../core/format.js';

/**
 * Where templates live and how they are read.
 *
 * - user:       $AI_FLEET_HOME/templates/NAME.md (default ~/.ai_fleet/templates)
 * - repository: .fleet/templates/NAME.md in the repository's main checkout
 *
 * When both have NAME, **yours wins**: a name you type means the template you wrote, the way a
 * command you type runs what is on your PATH and never whatever a cloned directory contains.
 * A repository you review cannot quietly swap the text behind `--template review`; its own is
 * still there as `repo:review`, and `fleet templates` shows it as shadowed.
 *
 * Repository templates are hostile input: a symlinked `.fleet`, `.fleet/templates` or template
 * file is refused with a warning (never followed out of the repository), files over 128 KiB
 * (the most one argument can carry) and files that are not UTF-8 text are refused too.
 */

export type TemplateSource = Template['source'];

export interface TemplateEntry {
  name: string;
  source: TemplateSource;
  path: string;
  /** Placeholder names in order of first use. */
  variables: string[];
  /** A repository template hidden by a user template of the same name. */
  shadowed: boolean;
}

export interface TemplateDirs {
  /** The repository's main checkout, or null outside a repository. */
  repoRoot: string | null;
  env: NodeJS.ProcessEnv;
  /** Where skipped repository files are reported. */
  warn?: (message: string) => void;
}

export const TEMPLATE_MAX_BYTES = MAX_ARG_BYTES;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const QUALIFIERS: Record<string, TemplateSource> = { user: 'user', repo: 'repository', repository: 'repository' };

export function userTemplatesDir(env: NodeJS.ProcessEnv): string {
  return path.join(fleetHome(env), 'templates');
}

export function repoTemplatesDir(repoRoot: string): string {
  return path.join(repoRoot, '.fleet', 'templates');
}

/** Every template, yours first; a repository template with the same name as one of yours is marked shadowed. */
export function listTemplates(dirs: TemplateDirs): TemplateEntry[] {
  const warn = dirs.warn ?? (() => undefined);
  const user = readDir('user', userTemplatesDir(dirs.env), warn, dirs.env.HOME);
  const repo = dirs.repoRoot ? readDir('repository', repoTemplatesDir(dirs.repoRoot), warn, dirs.env.HOME) : [];
  const mine = new Set(user.map((t) => t.name));
  return [...user, ...repo].map((t) => ({
    name: t.name,
    source: t.source,
    path: t.path,
    variables: templateVariables(t.text),
    shadowed: t.source === 'repository' && mine.has(t.name),
  }));
}

/**
 * The template `spec` names: `NAME` (yours if you have one, else the repository's), `user:NAME`
 * or `repo:NAME`. An unknown name is an error listing the templates that exist.
 */
export function loadTemplate(spec: string, dirs: TemplateDirs): Template {
  const { source, name } = parseTemplateSpec(spec);
  const warn = dirs.warn ?? (() => undefined);
  const tried: Array<[TemplateSource, string]> = [];
  if (source !== 'repository') tried.push(['user', userTemplatesDir(dirs.env)]);
  if (source !== 'user' && dirs.repoRoot) tried.push(['repository', repoTemplatesDir(dirs.repoRoot)]);
  const own = path.join(userTemplatesDir(dirs.env), `${name}.md`);
  // Asked for by name, a refused repository file is an error, not a warning and a fall-through.
  const refuse = (m: string) => {
    throw new FleetError(m, { hint: `use a template of your own instead: ${tildify(own, dirs.env.HOME)}` });
  };
  for (const [src, dir] of tried) {
    const file = path.join(dir, `${name}.md`);
    const t = src === 'user' ? readUserFile(name, file, dirs.env.HOME) : readRepoFile(name, dir, file, refuse);
    if (t) return t;
  }
  throw unknownTemplate(spec, name, source, dirs, warn);
}

export function parseTemplateSpec(spec: string): { source: TemplateSource | null; name: string } {
  let source: TemplateSource | null = null;
  let name = spec.trim();
  const colon = name.indexOf(':');
  if (colon !== -1) {
    const q = QUALIFIERS[name.slice(0, colon)];
    if (!q) throw new UsageError(`--template "${spec}": the part before ":" must be user or repo`, 'e.g. --template repo:review');
    source = q;
    name = name.slice(colon + 1);
  }
  if (name.endsWith('.md')) name = name.slice(0, -3);
  if (!NAME_RE.test(name)) {
    throw new UsageError(`--template "${spec}" is not a template name`, 'a name is letters, digits, ".", "_" and "-" (the file NAME.md); fleet templates lists them');
  }
  return { source, name };
}

function unknownTemplate(spec: string, name: string, source: TemplateSource | null, dirs: TemplateDirs, warn: (m: string) => void): FleetError {
  const all = listTemplates({ ...dirs, warn });
  const own = path.join(userTemplatesDir(dirs.env), `${name}.md`);
  const where = source === 'user' ? 'of yours' : source === 'repository' ? 'in this repository' : '';
  if (all.length === 0) {
    return new FleetError(`no template "${spec}": there are no templates yet`, {
      hint: `write one to ${tildify(own, dirs.env.HOME)}${dirs.repoRoot ? ' (or .fleet/templates/' + name + '.md to share it with the repository)' : ''}; fleet templates lists them`,
    });
  }
  const names = all.filter((t) => !t.shadowed).map((t) => (t.source === 'repository' ? `${t.name} (repository)` : t.name));
  return new FleetError(`no template "${spec}"${where ? ` ${where}` : ''}`, {
    hint: `templates: ${names.join(', ')}; a new one goes in ${tildify(own, dirs.env.HOME)}`,
  });
}

function readDir(source: TemplateSource, dir: string, warn: (m: string) => void, home: string | undefined): Template[] {
  if (source === 'repository' && !safeRepoDir(dir, warn)) return [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: Template[] = [];
  for (const entry of names.sort()) {
    if (!entry.endsWith('.md')) continue;
    const name = entry.slice(0, -3);
    if (!NAME_RE.test(name)) continue;
    const file = path.join(dir, entry);
    const t = source === 'user' ? readUserFileOrWarn(name, file, warn, home) : readRepoFile(name, dir, file, warn, false);
    if (t) out.push(t);
  }
  return out;
}

/** `.fleet` and `.fleet/templates` must be real directories inside the repository, not links. */
function safeRepoDir(dir: string, warn: (m: string) => void): boolean {
  for (const d of [path.dirname(dir), dir]) {
    const st = lstatOrNull(d);
    if (!st) return false;
    if (st.isSymbolicLink()) {
      warn(`ignoring the repository's templates: ${rel(d)} is a symbolic link (fleet never follows links out of a repository)`);
      return false;
    }
    if (!st.isDirectory()) return false;
  }
  return true;
}

/**
 * Read a repository template without following a link: lstat for the message, then open with
 * O_NOFOLLOW and check the opened file itself (a link swapped in between fails the open).
 * Returns null when there is no such file; reports any refusal through `refuse`.
 */
function readRepoFile(name: string, dir: string, file: string, refuse: (m: string) => void, checkDir = true): Template | null {
  if (checkDir && !safeRepoDir(dir, refuse)) return null;
  const st = lstatOrNull(file);
  if (!st) return null;
  if (st.isSymbolicLink()) {
    refuse(`repository template "${name}" (${rel(file)}) is a symbolic link; fleet never follows links out of a repository`);
    return null;
  }
  if (!st.isFile()) return null;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    refuse(`cannot read repository template "${name}" (${rel(file)}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return null;
  }
  try {
    const fst = fs.fstatSync(fd);
    if (!fst.isFile()) return null;
    const text = readCapped(fd, fst.size, `repository template "${name}" (${rel(file)})`, refuse);
    return text === null ? null : { name, text, source: 'repository', path: file };
  } finally {
    fs.closeSync(fd);
  }
}

/** Your own templates may be links (dotfile managers); they are still capped and must be text. */
function readUserFile(name: string, file: string, home: string | undefined): Template | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new FleetError(`cannot read template "${name}" (${tildify(file, home)}): ${(e as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new FleetError(`template "${name}" (${tildify(file, home)}) is not a file`);
    const text = readCapped(fd, st.size, `template "${name}" (${tildify(file, home)})`, (m) => {
      throw new FleetError(m, { hint: `shorten ${tildify(file, home)}` });
    });
    return text === null ? null : { name, text, source: 'user', path: file };
  } finally {
    fs.closeSync(fd);
  }
}

function readUserFileOrWarn(name: string, file: string, warn: (m: string) => void, home: string | undefined): Template | null {
  try {
    return readUserFile(name, file, home);
  } catch (e) {
    warn((e as Error).message);
    return null;
  }
}

/** The file's text, or null (told to `refuse`) when it is over the cap or not UTF-8; `what` names it in messages. */
function readCapped(fd: number, size: number, what: string, refuse: (m: string) => void): string | null {
  if (size > TEMPLATE_MAX_BYTES) {
    refuse(`${what} is ${Math.ceil(size / 1024)} KiB; a prompt can be at most 128 KiB`);
    return null;
  }
  // Read at most one byte past the cap, whatever fstat said (the file may grow in between).
  const buf = Buffer.alloc(TEMPLATE_MAX_BYTES + 1);
  let len = 0;
  for (;;) {
    const n = fs.readSync(fd, buf, len, buf.length - len, null);
    if (n === 0) break;
    len += n;
    if (len === buf.length) break;
  }
  if (len > TEMPLATE_MAX_BYTES) {
    refuse(`${what} is over 128 KiB; a prompt can be at most 128 KiB`);
    return null;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, len));
  } catch {
    refuse(`${what} is not UTF-8 text`);
    return null;
  }
  if (text.includes('\0')) {
    refuse(`${what} contains a NUL byte, so it is not text`);
    return null;
  }
  return text;
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

/** ".fleet/templates/x.md": repository paths are shown relative to the repository. */
function rel(p: string): string {
  const i = p.lastIndexOf(`${path.sep}.fleet`);
  return i === -1 ? p : p.slice(i + 1);
}

/** Names a template needs from `--var` (everything that is not built in). */
export function varsNeeded(variables: readonly string[]): string[] {
  return variables.filter((v) => !isBuiltinVariable(v));
}
