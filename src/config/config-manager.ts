import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { expandHome } from '../core/names.js';
import { CONFIG_FILE, REPO_CONFIG_FILE, fleetHome, homeDir } from './paths.js';
import { DEFAULT_CONFIG_TEXT, defaultConfig, type FleetConfig } from './schema.js';
import { validateConfig } from './validate.js';

export interface LoadedConfig {
  config: FleetConfig;
  warnings: string[];
  /** Files that were read, in order of precedence (lowest first). */
  files: string[];
}

/** Reads, validates and merges `config.toml` and a repository's `.fleet.toml`. */
export class ConfigManager {
  readonly home: string;
  readonly userFile: string;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.home = fleetHome(env);
    this.userFile = path.join(this.home, CONFIG_FILE);
  }

  /** Create the fleet home (0700) and a commented default config on first use. */
  ensureHome(): void {
    fs.mkdirSync(this.home, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(this.userFile)) {
      try {
        fs.writeFileSync(this.userFile, DEFAULT_CONFIG_TEXT(this.home), { flag: 'wx', mode: 0o600 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }

  /** Parse one TOML file; syntax errors name the file, line and column. */
  static async parseFile(file: string): Promise<Record<string, unknown> | null> {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new FleetError(`cannot read ${file}: ${(e as Error).message}`);
    }
    return ConfigManager.parseText(text, file);
  }

  static async parseText(text: string, file: string): Promise<Record<string, unknown>> {
    const { parse } = await import('smol-toml');
    try {
      return parse(text);
    } catch (e) {
      const err = e as { line?: number; column?: number; message: string };
      const reason = String(err.message).split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      const where = err.line ? `${file}:${err.line}:${err.column ?? 1}` : file;
      throw new FleetError(`${where}: invalid TOML: ${reason}`, {
        hint: file.endsWith(REPO_CONFIG_FILE) ? `fix ${file}` : 'fix it with: fleet config edit',
      });
    }
  }

  /** Load the effective configuration for a repository (or none). */
  async load(repoRoot?: string): Promise<LoadedConfig> {
    this.ensureHome();
    const config = defaultConfig(this.home);
    const warnings: string[] = [];
    const files: string[] = [];
    const sources = [this.userFile];
    if (repoRoot) sources.push(path.join(repoRoot, REPO_CONFIG_FILE));
    for (const file of sources) {
      const doc = await ConfigManager.parseFile(file);
      if (!doc) continue;
      files.push(file);
      const v = validateConfig(doc, file);
      warnings.push(...v.warnings);
      const { agents, hosts, env, ...rest } = v.values;
      Object.assign(config, rest);
      if (env) config.env = { ...config.env, ...env };
      if (agents) config.agents = { ...config.agents, ...agents };
      // Hosts decide where commands run and as whom: only the user's own config may name them.
      if (hosts && file === this.userFile) config.hosts = hosts;
      else if (hosts) warnings.push(`[hosts] in ${file} ignored: hosts come only from your own ${CONFIG_FILE} (fleet config edit)`);
    }
    config.worktree_root = path.resolve(expandHome(config.worktree_root, homeDir(this.env)));
    return { config, warnings, files };
  }
}
