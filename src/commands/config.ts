import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { FleetError, UsageError } from '../errors.js';
import { baseContext, loadContext, type BaseContext, type Context } from '../context.js';
import { ConfigManager, resolveConfigPath, type ConfigReport, type ConfigSource } from '../config/config-manager.js';
import { BUILTIN_NAMES, profileNames, resolveProfile } from '../core/profiles.js';
import { CONFIG_KEYS, keySpec, type FleetConfig, type ScalarSpec } from '../config/schema.js';
import { checkScalar, typeName, validateConfig } from '../config/validate.js';
import { setKeyInText, tomlValue } from '../config/edit.js';
import { TRUST_COMMAND, andList } from '../config/ignored.js';
import { CONFIG_FILE, homeDir } from '../config/paths.js';
import { ENV_NAME, validateAgents } from '../config/tables.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { runInteractive } from '../process/runner.js';
import { confirm } from '../ui/confirm.js';
import { tildify, wrapWords } from '../core/format.js';

const SCALAR_KEYS = Object.entries(CONFIG_KEYS as Record<string, { type: string }>)
  .filter(([, s]) => s.type !== 'table')
  .map(([k]) => k);
/** What `config get` and `config set` take besides the top-level keys. */
const ENTRY_KEYS = ['agents.NAME.command', 'agents.NAME.env.VAR', 'env.VAR'];
const KEYS_HELP = wrapWords(['Keys:', ...[...SCALAR_KEYS, ...ENTRY_KEYS].map((k, i, all) => (i < all.length - 1 ? `${k},` : k))], 80, '  ');

export function configCommand(): Command {
  const cmd = new Command('config')
    .description('show or change the configuration (~/.ai_fleet/config.toml, overridden by .fleet.toml)')
    .option('--json', 'with no command: the effective configuration as JSON')
    // `config set KEY VALUE` takes values that start with "-": its options end at KEY.
    .enablePositionalOptions()
    .allowExcessArguments()
    .addHelpText('after', `
${KEYS_HELP}

A repository's .fleet.toml overrides your file there; its keys that run
programs or choose paths apply only once you trust it: fleet trust.

Examples:
  fleet config                  # same as fleet config show
  fleet config show
  fleet config get max_parallel
  fleet config set default_agent codex
  fleet config set claude_flags "--model sonnet"
  fleet config set setup_commands '["npm ci"]'
  fleet config set agents.mytool.command "mytool --yes {prompt}"
  fleet config edit`)
    .action(async (opts: { json?: boolean }, self: Command) => {
      // Not `isDefault` on show: then "config lst" became "too many arguments for 'show'".
      if (self.args.length > 0) (self as unknown as { unknownCommand(): never }).unknownCommand();
      await runConfigShow(await loadContext({ json: opts.json, warnIgnored: false }), opts);
    });
  cmd
    .command('show')
    .description('print the effective configuration and where each value comes from')
    .option('--json', 'as JSON (the values only)')
    .addHelpText('after', `
Each value is followed by where it comes from: default, user file,
repository file. A repository key fleet does not apply is shown commented
out: "ignored until trusted" (fleet trust applies it) or "ignored: only your
own config.toml may set it".

Examples:
  fleet config show
  fleet config show --json | jq .max_parallel`)
    .action(async (opts: { json?: boolean }) => runConfigShow(await loadContext({ json: opts.json, warnIgnored: false }), opts));
  cmd
    .command('path')
    .description('print the path of the user config file')
    .addHelpText('after', '\nExample:\n  $EDITOR "$(fleet config path)"')
    .action(() => {
      const ctx = baseContext();
      ctx.configs.ensureHome((m) => ctx.ui.warn(m));
      ctx.ui.out(ctx.configs.userFile);
    });
  cmd
    .command('get')
    .description('print one key of the effective configuration')
    .argument('<key>')
    .addHelpText('after', `
Examples:
  fleet config get max_parallel
  fleet config get agents.claude.command
  fleet config get env.HTTP_PROXY`)
    .action(async (key: string) => runConfigGet(await loadContext(), key));
  // set and edit never load the config: they are how an invalid one gets fixed.
  cmd
    .command('set')
    .description('set one key in your config file (comments are kept)')
    .usage('[options] <key> <value>')
    .argument('<key>', 'a key (fleet config --help lists them)')
    .argument('<value...>', 'the value, one argument: quote it when it has spaces')
    .allowUnknownOption()
    .passThroughOptions()
    .addHelpText('after', `
The value is checked before the file is written; an invalid one changes
nothing. Lists are written as TOML arrays; a single string is a list of one.
A value may start with "-"; one that is also a fleet option (-v, --verbose)
needs "--" before it. A relative worktree_root is relative to the file's
directory (${'~'}/.ai_fleet), not to where you run fleet.

Examples:
  fleet config set default_agent codex
  fleet config set max_parallel 8
  fleet config set claude_flags "--model sonnet"
  fleet config set setup_commands '["npm ci", "npm run build"]'
  fleet config set credential_files .env
  fleet config set agents.mytool.command "mytool --yes {prompt}"
  fleet config set env.HTTP_PROXY http://proxy.example.com:3128
  fleet config set claude_flags -- -v`)
    .action(async (key: string, value: string[]) => runConfigSet(baseContext(), key, value));
  cmd
    .command('edit')
    .description('open your config file in $EDITOR; it is checked before it is saved')
    .addHelpText('after', `
Opens a copy in $VISUAL or $EDITOR (vi when neither is set). When you quit,
the copy is checked; only a valid one replaces your file. On a terminal an
invalid one can be edited again; otherwise nothing is saved.

Examples:
  fleet config edit
  EDITOR="code --wait" fleet config edit`)
    .action(async () => runConfigEdit(baseContext()));
  return cmd;
}

const SOURCE_LABEL: Record<ConfigSource, string> = { default: 'default', user: 'user file', repo: 'repository file' };

/** `key = value` lines, each with where it comes from; ignored repository keys commented out. */
export async function runConfigShow(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const { config, configReport: report } = ctx;
  if (opts.json) {
    ctx.ui.out(JSON.stringify(config, null, 2));
    return;
  }
  const home = ctx.env.HOME;
  const rows: [string, string][] = [];
  const add = (key: string, value: unknown, source: ConfigSource | undefined) => {
    for (const [k, v] of flatten(key, value)) rows.push([`${k} = ${tomlValue(v)}`, SOURCE_LABEL[source ?? 'default']]);
  };
  const addIgnored = (key: string) => {
    for (const ig of report.ignored.filter((i) => i.key === key || i.key.startsWith(`${key}.`))) {
      const why = ig.reason === 'untrusted' ? 'ignored until trusted' : `ignored: only your own ${CONFIG_FILE} may set it`;
      for (const [k, v] of flatten(ig.key, ig.value)) rows.push([`# ${k} = ${tomlValue(v)}`, `repository file, ${why}`]);
    }
  };
  const cfg = config as unknown as Record<string, unknown>;
  for (const key of SCALAR_KEYS) {
    add(key, cfg[key], report.sources[key]);
    addIgnored(key);
  }
  for (const [key, spec] of Object.entries(CONFIG_KEYS as Record<string, { type: string }>)) {
    if (spec.type !== 'table') continue;
    if (key === 'agents') rows.push([`# agent profiles: ${profileNames(config).join(', ')}`, '']);
    for (const [entry, value] of Object.entries(cfg[key] as Record<string, unknown>)) add(`${key}.${entry}`, value, report.sources[`${key}.${entry}`]);
    addIgnored(key);
  }
  const width = Math.min(48, Math.max(...rows.map(([l]) => l.length)));
  const lines = [`# user file: ${tildify(report.userFile, home)}`];
  if (report.repoFile) lines.push(`# repository file: ${tildify(report.repoFile.path, home)} (${repoFileState(report)})`);
  for (const [l, label] of rows) lines.push(label === '' ? l : `${l.padEnd(width)}  # ${label}`);
  ctx.ui.out(lines.join('\n'));
}

function repoFileState(report: ConfigReport): string {
  const gated = report.ignored.filter((i) => i.reason === 'untrusted').map((i) => i.key);
  switch (report.repoFile?.trust) {
    case 'trusted':
      return 'trusted';
    case 'changed':
      return `changed since you trusted it; ${TRUST_COMMAND} applies ${andList(gated)}`;
    case 'untrusted':
      return `not trusted; ${TRUST_COMMAND} applies ${andList(gated)}`;
    default:
      return 'sets nothing that needs trust';
  }
}

/** A value as dotted `key = scalar` pairs (a table entry such as an agent profile becomes one pair per field). */
function flatten(key: string, value: unknown): [string, unknown][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [[key, value]];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => flatten(`${key}.${k}`, v));
}

function unknownKey(key: string): UsageError {
  return new UsageError(`unknown config key "${key}"`, `keys: ${[...SCALAR_KEYS, ...ENTRY_KEYS].join(', ')}`);
}

export async function runConfigGet(ctx: Context, key: string): Promise<void> {
  const { config } = ctx;
  const [top, ...rest] = key.split('.');
  const spec = keySpec(top!);
  if (!spec || (spec.type !== 'table' && rest.length > 0)) throw unknownKey(key);
  let value: unknown = (config as unknown as Record<string, unknown>)[top!];
  if (spec.type === 'table') {
    if (rest.length === 0) throw new UsageError(`${key} is a table; get one entry`, `e.g. fleet config get ${ENTRY_KEYS.find((k) => k.startsWith(`${key}.`)) ?? `${key}.NAME`}`);
    const agent = /^agents\.([^.]+)\.command$/.exec(key);
    if (agent && config.agents[agent[1]!]?.command === undefined && BUILTIN_NAMES.includes(agent[1]!)) {
      value = resolveProfile(config, agent[1]!).argv.join(' ');
    } else {
      for (const part of rest) value = typeof value === 'object' && value !== null && Object.hasOwn(value, part) ? (value as Record<string, unknown>)[part] : undefined;
    }
    if (value === undefined) throw new FleetError(`${key} is not set`, { hint: 'fleet config show lists what is set' });
  }
  ctx.ui.out(typeof value === 'string' ? value : tomlValue(value));
}

/** What `config set` can write: a top-level scalar, an agent's command, or a variable of [env] / [agents.NAME.env]. */
function settable(key: string): ScalarSpec | 'command' | 'env' {
  if (/^agents\.[A-Za-z0-9_-]+\.command$/.test(key)) return 'command';
  const env = /^(?:agents\.[A-Za-z0-9_-]+\.)?env\.([^.]+)$/.exec(key);
  if (env) {
    if (!ENV_NAME.test(env[1]!)) throw new UsageError(`"${env[1]}" is not a variable name`, 'names are letters, digits and "_", not starting with a digit');
    return 'env';
  }
  const spec = keySpec(key);
  if (spec?.type === 'table') throw new UsageError(`${key} is a table; set one entry`, `e.g. fleet config set ${ENTRY_KEYS.find((k) => k.startsWith(`${key}.`))} VALUE`);
  if (!spec) throw unknownKey(key);
  return spec;
}

/** Turn the text of `config set KEY VALUE` into the key's type; a value the key cannot take is a usage error. */
export async function parseSetValue(key: string, raw: string): Promise<unknown> {
  const spec = settable(key);
  if (spec === 'env') return raw;
  const array = async () => (await ConfigManager.parseText(`v = ${raw}`, 'the value').catch(() => {
    throw new UsageError(`the value of ${key} is not a TOML array: ${raw}`, `e.g. fleet config set ${key} '["one", "two"]'`);
  })).v;
  if (spec === 'command') {
    const command = raw.trim().startsWith('[') ? await array() : raw;
    try {
      validateAgents({ x: { command } }, 'the value', (_k, expected, got) => new UsageError(`${key} must be ${expected}, not ${typeName(got)}`));
    } catch (e) {
      throw new UsageError((e as Error).message.replace('agents.x.command in the value', key), `e.g. fleet config set ${key} "mytool --yes {prompt}"`);
    }
    return command;
  }
  let value: unknown = raw;
  if (spec.type === 'int' || spec.type === 'number') {
    const t = raw.trim();
    if (!(spec.type === 'int' ? /^[-+]?\d+$/ : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/).test(t)) {
      throw new UsageError(`${key} must be ${spec.type === 'int' ? 'a whole number' : 'a number'}, not "${raw}"`, `e.g. fleet config set ${key} ${String(defaultOf(spec))}`);
    }
    value = Number(t);
  } else if (spec.type === 'string[]') {
    value = raw.trim().startsWith('[') ? await array() : raw === '' ? [] : [raw];
  }
  const r = checkScalar(spec, value);
  if ('expected' in r) throw new UsageError(`${key} must be ${r.expected}, not ${JSON.stringify(raw)}`, `fleet config set --help shows examples`);
  return r.value;
}

function defaultOf(spec: ScalarSpec): unknown {
  return typeof spec.default === 'function' ? '…' : spec.default;
}

/**
 * default_agent must name a profile your file can start: a built-in or one of its [agents.*].
 * (A profile only a repository defines does not count: that file may not apply everywhere.)
 */
function checkDefaultAgent(values: Partial<FleetConfig>, file: string): void {
  const name = values.default_agent;
  if (name === undefined || BUILTIN_NAMES.includes(name) || Object.hasOwn(values.agents ?? {}, name)) return;
  const known = [...new Set([...BUILTIN_NAMES, ...Object.keys(values.agents ?? {})])].sort();
  throw new UsageError(`default_agent in ${file} names "${name}", which is not an agent profile`, `use one of: ${known.join(', ')}; or define it first: fleet config set agents.${/^[A-Za-z0-9_-]+$/.test(name) ? name : 'NAME'}.command "…"`);
}

export async function runConfigSet(ctx: BaseContext, key: string, words: string[]): Promise<void> {
  if (words.length !== 1) {
    throw new UsageError(`config set takes one value, got ${words.length} words: ${words.join(' ')}`, `quote it: fleet config set ${key} "${words.join(' ')}"`);
  }
  const raw = words[0]!;
  const file = ctx.configs.userFile;
  ctx.configs.ensureHome((m) => ctx.ui.warn(m));
  const value = await parseSetValue(key, raw);
  const before = fs.readFileSync(file, 'utf8');
  const after = setKeyInText(before, key, value);
  // Check the whole file as it would be, so a set never leaves an invalid config behind.
  const v = validateConfig(await ConfigManager.parseText(after, file), file);
  if (key === 'default_agent') checkDefaultAgent(v.values, file);
  atomicWrite(file, after);
  for (const w of v.warnings) ctx.ui.warn(w);
  const spec = keySpec(key);
  const resolved = spec?.type === 'path' ? resolveConfigPath(value as string, file, homeDir(ctx.env)) : null;
  const where = resolved && resolved !== value ? ` (${tildify(resolved, ctx.env.HOME)})` : '';
  ctx.ui.note(`set ${key} = ${tomlValue(value)}${where} in ${tildify(file, ctx.env.HOME)}`);
}

/** Edit a copy; only a copy that parses and validates replaces the real file. */
export async function runConfigEdit(ctx: BaseContext): Promise<void> {
  const file = ctx.configs.userFile;
  ctx.configs.ensureHome((m) => ctx.ui.warn(m));
  const editor = ctx.env.VISUAL || ctx.env.EDITOR || 'vi';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-config-'));
  const copy = path.join(dir, CONFIG_FILE);
  fs.copyFileSync(file, copy);
  const unchanged = `nothing was saved (${tildify(file, ctx.env.HOME)} is as it was); run fleet config edit to try again`;
  try {
    for (;;) {
      // $EDITOR may carry flags ("code --wait"): split on spaces, as git does for core.editor.
      const [prog, ...flags] = editor.split(/\s+/).filter(Boolean);
      const code = await runInteractive(prog!, [...flags, copy]);
      if (code !== 0) throw new FleetError(`${editor} exited with status ${code}; config not changed`, { hint: 'set $EDITOR (or $VISUAL) to an editor that exits 0 when you save' });
      const text = fs.readFileSync(copy, 'utf8');
      let problem: FleetError;
      try {
        const v = validateConfig(await ConfigManager.parseText(text, file), file);
        checkDefaultAgent(v.values, file);
        atomicWrite(file, text);
        for (const w of v.warnings) ctx.ui.warn(w);
        ctx.ui.note(`saved ${tildify(file, ctx.env.HOME)}`);
        return;
      } catch (e) {
        if (!(e instanceof FleetError)) throw e;
        problem = e;
      }
      // One error line (and a hint) in the end; on a terminal the problem is shown first so it can be fixed.
      const asked = process.stdin.isTTY && process.stderr.isTTY;
      if (asked) ctx.ui.note(`the edited file is not valid: ${problem.message}`);
      if (!(asked && (await confirm('edit it again?')))) throw new FleetError(problem.message, { hint: unchanged });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
