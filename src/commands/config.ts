import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { FleetError, UsageError } from '../errors.js';
import { baseContext, loadContext, type BaseContext, type Context } from '../context.js';
import { ConfigManager } from '../config/config-manager.js';
import { profileNames, resolveProfile } from '../core/profiles.js';
import { wrapWords } from '../core/format.js';
import { CONFIG_KEYS } from '../config/schema.js';
import { validateConfig } from '../config/validate.js';
import { setKeyInText, tomlValue } from '../config/edit.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { runInteractive } from '../process/runner.js';
import { confirm } from '../ui/confirm.js';

export function configCommand(): Command {
  const cmd = new Command('config')
    .description('show or change the configuration (~/.ai_fleet/config.toml, overridden by .fleet.toml)')
    .addHelpText('after', `
${wrapWords(`Keys: ${Object.keys(CONFIG_KEYS).join(', ')}, agents.NAME.command`)}

Examples:
  fleet config show
  fleet config get max_parallel
  fleet config set default_agent codex
  fleet config set setup_commands '["npm ci"]'
  fleet config set agents.mytool.command "mytool --yes {prompt}"
  fleet config edit`);
  cmd
    .command('show', { isDefault: true })
    .description('print the effective configuration and the files it comes from')
    .option('--json', 'as JSON')
    .action(async (opts: { json?: boolean }) => runConfigShow(await loadContext({ json: opts.json }), opts));
  cmd.command('path').description('print the path of the user config file').action(() => {
    const ctx = baseContext();
    ctx.configs.ensureHome();
    ctx.ui.out(ctx.configs.userFile);
  });
  cmd
    .command('get')
    .description('print one key')
    .argument('<key>')
    .action(async (key: string) => runConfigGet(await loadContext(), key));
  // set and edit never load the config: they are how an invalid one gets fixed.
  cmd
    .command('set')
    .description('set one key in the user config file (comments are kept)')
    .argument('<key>')
    .argument('<value>')
    .action(async (key: string, value: string) => runConfigSet(baseContext(), key, value));
  cmd.command('edit').description('open the user config in $EDITOR; it is checked before it is saved').action(async () => runConfigEdit(baseContext()));
  return cmd;
}

export async function runConfigShow(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const { config, configFiles: files } = ctx;
  if (opts.json) {
    ctx.ui.out(JSON.stringify(config, null, 2));
    return;
  }
  const lines = [`# from: ${files.length ? files.join(', ') : '(defaults)'}`];
  for (const key of Object.keys(CONFIG_KEYS)) lines.push(`${key} = ${tomlValue((config as unknown as Record<string, unknown>)[key])}`);
  const profiles = profileNames(config);
  lines.push(`# agent profiles: ${profiles.join(', ')}`);
  for (const [name, p] of Object.entries(config.agents)) lines.push(`agents.${name}.command = ${tomlValue(p.command)}`);
  for (const [name, h] of Object.entries(config.hosts)) for (const [k, v] of Object.entries(h)) lines.push(`hosts.${name}.${k} = ${tomlValue(v)}`);
  lines.push(`# user config: ${ctx.configs.userFile}`);
  ctx.ui.out(lines.join('\n'));
}

export async function runConfigGet(ctx: Context, key: string): Promise<void> {
  const { config } = ctx;
  const agent = /^agents\.([^.]+)\.command$/.exec(key);
  let value: unknown;
  if (agent) {
    value = config.agents[agent[1]!]?.command ?? resolveProfile(config, agent[1]!).argv.join(' ');
  } else if (key in CONFIG_KEYS) {
    value = (config as unknown as Record<string, unknown>)[key];
  } else {
    throw new UsageError(`unknown config key "${key}"`, `keys: ${Object.keys(CONFIG_KEYS).join(', ')}, agents.NAME.command`);
  }
  ctx.ui.out(typeof value === 'string' ? value : tomlValue(value));
}

/** Turn the text of `config set KEY VALUE` into the key's type. */
export async function parseSetValue(key: string, raw: string): Promise<unknown> {
  if (/^agents\.[A-Za-z0-9_-]+\.command$/.test(key)) return raw;
  const spec = (CONFIG_KEYS as Record<string, { type: string }>)[key];
  if (!spec) throw new UsageError(`unknown config key "${key}"`, `keys: ${Object.keys(CONFIG_KEYS).join(', ')}, agents.NAME.command`);
  if (spec.type === 'int') {
    if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`${key} must be a whole number, not "${raw}"`, `e.g. fleet config set ${key} 4`);
    return Number(raw.trim());
  }
  if (spec.type === 'string[]') {
    if (raw.trim().startsWith('[')) {
      const doc = await ConfigManager.parseText(`v = ${raw}`, 'the value');
      return doc.v;
    }
    return raw === '' ? [] : [raw];
  }
  return raw;
}

export async function runConfigSet(ctx: BaseContext, key: string, raw: string): Promise<void> {
  const file = ctx.configs.userFile;
  ctx.configs.ensureHome();
  const value = await parseSetValue(key, raw);
  const before = fs.readFileSync(file, 'utf8');
  const after = setKeyInText(before, key, value);
  // Check the whole file as it would be, so a set never leaves an invalid config behind.
  const v = validateConfig(await ConfigManager.parseText(after, file), file);
  atomicWrite(file, after);
  for (const w of v.warnings) ctx.ui.warn(w);
  ctx.ui.note(`set ${key} = ${tomlValue(value)} in ${file}`);
}

/** Edit a copy; only a copy that parses and validates replaces the real file. */
export async function runConfigEdit(ctx: BaseContext): Promise<void> {
  const file = ctx.configs.userFile;
  ctx.configs.ensureHome();
  const editor = ctx.env.VISUAL || ctx.env.EDITOR || 'vi';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-config-'));
  const copy = path.join(dir, 'config.toml');
  fs.copyFileSync(file, copy);
  try {
    for (;;) {
      // $EDITOR may carry flags ("code --wait"): split on spaces, as git does for core.editor.
      const [prog, ...flags] = editor.split(/\s+/).filter(Boolean);
      const code = await runInteractive(prog!, [...flags, copy]);
      if (code !== 0) throw new FleetError(`${editor} exited with status ${code}; config not changed`);
      const text = fs.readFileSync(copy, 'utf8');
      try {
        const v = validateConfig(await ConfigManager.parseText(text, file), file);
        atomicWrite(file, text);
        for (const w of v.warnings) ctx.ui.warn(w);
        ctx.ui.note(`saved ${file}`);
        return;
      } catch (e) {
        if (!(e instanceof FleetError)) throw e;
        ctx.ui.note(`error: ${e.message}`);
        if (!(process.stdin.isTTY && (await confirm('edit again?')))) {
          throw new FleetError(`config not changed (${file} is as it was)`);
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
