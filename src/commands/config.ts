import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { FleetError, UsageError } from '../errors.js';
import { ConfigManager } from '../config/config-manager.js';
import { CONFIG_KEYS, type FleetConfig } from '../config/schema.js';
import { validateConfig } from '../config/validate.js';
import { setKeyInText, tomlValue } from '../config/edit.js';
import { runInteractive } from '../process/runner.js';
import { makeUi } from '../ui/output.js';
import { WorktreeManager } from '../git/worktree-manager.js';
import { run } from '../process/runner.js';
import { confirm } from '../ui/confirm.js';

export function configCommand(): Command {
  const cmd = new Command('config')
    .description('show or change the configuration (~/.ai_fleet/config.toml, overridden by .fleet.toml)')
    .addHelpText('after', `
Keys: ${Object.keys(CONFIG_KEYS).join(', ')}, agents.NAME.command

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
    .action(async (opts: { json?: boolean }) => runConfigShow(opts));
  cmd.command('path').description('print the path of the user config file').action(() => {
    const m = new ConfigManager();
    m.ensureHome();
    process.stdout.write(m.userFile + '\n');
  });
  cmd
    .command('get')
    .description('print one key')
    .argument('<key>')
    .action(async (key: string) => runConfigGet(key));
  cmd
    .command('set')
    .description('set one key in the user config file (comments are kept)')
    .argument('<key>')
    .argument('<value>')
    .action(async (key: string, value: string) => runConfigSet(key, value));
  cmd.command('edit').description('open the user config in $EDITOR; it is checked before it is saved').action(async () => runConfigEdit());
  return cmd;
}

async function effective(): Promise<{ m: ConfigManager; config: FleetConfig; files: string[] }> {
  const m = new ConfigManager();
  const repo = await new WorktreeManager(run).repoInfo(process.cwd()).catch(() => null);
  const loaded = await m.load(repo?.root);
  const ui = makeUi();
  for (const w of loaded.warnings) ui.warn(w);
  return { m, config: loaded.config, files: loaded.files };
}

export async function runConfigShow(opts: { json?: boolean }): Promise<void> {
  const { config, files, m } = await effective();
  if (opts.json) {
    process.stdout.write(JSON.stringify(config, null, 2) + '\n');
    return;
  }
  const lines = [`# from: ${files.length ? files.join(', ') : '(defaults)'}`];
  for (const key of Object.keys(CONFIG_KEYS)) lines.push(`${key} = ${tomlValue((config as unknown as Record<string, unknown>)[key])}`);
  const profiles = ConfigManager.profileNames(config);
  lines.push(`# agent profiles: ${profiles.join(', ')}`);
  for (const [name, p] of Object.entries(config.agents)) lines.push(`agents.${name}.command = ${tomlValue(p.command)}`);
  for (const [name, h] of Object.entries(config.hosts)) for (const [k, v] of Object.entries(h)) lines.push(`hosts.${name}.${k} = ${tomlValue(v)}`);
  lines.push(`# user config: ${m.userFile}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export async function runConfigGet(key: string): Promise<void> {
  const { config } = await effective();
  const agent = /^agents\.([^.]+)\.command$/.exec(key);
  let value: unknown;
  if (agent) {
    value = config.agents[agent[1]!]?.command ?? ConfigManager.profile(config, agent[1]!).argv.join(' ');
  } else if (key in CONFIG_KEYS) {
    value = (config as unknown as Record<string, unknown>)[key];
  } else {
    throw new UsageError(`unknown config key "${key}"`, `keys: ${Object.keys(CONFIG_KEYS).join(', ')}, agents.NAME.command`);
  }
  process.stdout.write((typeof value === 'string' ? value : tomlValue(value)) + '\n');
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

export async function runConfigSet(key: string, raw: string): Promise<void> {
  const m = new ConfigManager();
  m.ensureHome();
  const value = await parseSetValue(key, raw);
  const before = fs.readFileSync(m.userFile, 'utf8');
  const after = setKeyInText(before, key, value);
  // Check the whole file as it would be, so a set never leaves an invalid config behind.
  const v = validateConfig(await ConfigManager.parseText(after, m.userFile), m.userFile);
  writeAtomic(m.userFile, after);
  for (const w of v.warnings) makeUi().warn(w);
  process.stderr.write(`set ${key} = ${tomlValue(value)} in ${m.userFile}\n`);
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Edit a copy; only a copy that parses and validates replaces the real file. */
export async function runConfigEdit(): Promise<void> {
  const m = new ConfigManager();
  m.ensureHome();
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-config-'));
  const copy = path.join(dir, 'config.toml');
  fs.copyFileSync(m.userFile, copy);
  try {
    for (;;) {
      // $EDITOR may carry flags ("code --wait"): split on spaces, as git does for core.editor.
      const [prog, ...flags] = editor.split(/\s+/).filter(Boolean);
      const code = await runInteractive(prog!, [...flags, copy]);
      if (code !== 0) throw new FleetError(`${editor} exited with status ${code}; config not changed`);
      const text = fs.readFileSync(copy, 'utf8');
      try {
        const v = validateConfig(await ConfigManager.parseText(text, m.userFile), m.userFile);
        writeAtomic(m.userFile, text);
        for (const w of v.warnings) makeUi().warn(w);
        process.stderr.write(`saved ${m.userFile}\n`);
        return;
      } catch (e) {
        if (!(e instanceof FleetError)) throw e;
        process.stderr.write(`error: ${e.message}\n`);
        if (!(process.stdin.isTTY && (await confirm('edit again?')))) {
          throw new FleetError(`config not changed (${m.userFile} is as it was)`);
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
