import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { expandHome } from '../core/names.js';
import { tildify } from '../core/format.js';
import { CONFIG_FILE, REPO_CONFIG_FILE, fleetHome, homeDir } from './paths.js';
import { CONFIG_KEYS, DEFAULT_CONFIG_TEXT, defaultConfig, keySpec, trustClassOf, type ConfigBefore, type FleetConfig, type TrustClass } from './schema.js';
import { TrustStore, sha256 } from './trust-store.js';
import { validateConfig } from './validate.js';

/** Where a value of the effective configuration came from. */
export type ConfigSource = 'default' | 'user' | 'repo';

/** A key a repository's `.fleet.toml` sets that fleet did not apply. Table entries are named `agents.NAME`, `env.NAME`. */
export interface IgnoredKey {
  key: string;
  value: unknown;
  /** `untrusted`: applies once the file is trusted; `user-only`: never from a repository. */
  reason: 'untrusted' | 'user-only';
}

/** A repository's `.fleet.toml` as fleet read it. */
export interface RepoConfigFile {
  path: string;
  /** SHA-256 of its bytes; null when nothing in it needs trust (then it is not hashed at all). */
  sha256: string | null;
  /**
   * `trusted`: its content is trusted; `untrusted`: never trusted; `changed`: trusted once, with
   * other content; `not-needed`: it sets nothing that needs trust (the store was not read).
   */
  trust: 'trusted' | 'untrusted' | 'changed' | 'not-needed';
}

/** What `config show` needs besides the values: where each came from and what was left out. */
export interface ConfigReport {
  userFile: string;
  repoFile: RepoConfigFile | null;
  /** By key, and by `table.entry` for table keys. */
  sources: Record<string, ConfigSource>;
  ignored: IgnoredKey[];
}

export interface LoadedConfig {
  config: FleetConfig;
  warnings: string[];
  /** Files that were read, in order of precedence (lowest first). */
  files: string[];
  report: ConfigReport;
}

/** A repository's config file larger than this is refused (it is a few lines; a link to /dev/zero must not hang fleet). */
const MAX_REPO_CONFIG_BYTES = 1024 * 1024;

/** Reads, validates and merges `config.toml` and a repository's `.fleet.toml`. */
export class ConfigManager {
  readonly home: string;
  readonly userFile: string;
  private homeChecked = false;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.home = fleetHome(env);
    this.userFile = path.join(this.home, CONFIG_FILE);
  }

  /**
   * Create the fleet home (0700) and a commented default config on first use. An existing home
   * that others can read is made 0700 (one warning); one that others can write to, or that
   * belongs to someone else, is refused: a config.toml planted there would run its commands.
   */
  ensureHome(warn?: (m: string) => void): void {
    fs.mkdirSync(this.home, { recursive: true, mode: 0o700 });
    if (!this.homeChecked) {
      checkHomePermissions(this.home, homeDir(this.env), warn ?? ((m) => process.stderr.write(`warning: ${m}\n`)));
      this.homeChecked = true;
    }
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

  /** The trust store in this fleet home. */
  trustStore(): TrustStore {
    return new TrustStore(this.home);
  }

  /**
   * Load the effective configuration for a repository (or none): defaults, then the user's file,
   * then the repository's `.fleet.toml`, whose gated keys apply only when its content is trusted
   * and whose user-only keys never apply.
   */
  async load(repoRoot?: string, warn?: (m: string) => void): Promise<LoadedConfig> {
    this.ensureHome(warn);
    const config = defaultConfig(this.home);
    const warnings: string[] = [];
    const files: string[] = [];
    const sources: Record<string, ConfigSource> = {};
    for (const name of Object.keys(CONFIG_KEYS)) sources[name] = 'default';
    const report: ConfigReport = { userFile: this.userFile, repoFile: null, sources, ignored: [] };

    const userDoc = await ConfigManager.parseFile(this.userFile);
    if (userDoc) {
      files.push(this.userFile);
      const v = validateConfig(userDoc, this.userFile);
      warnings.push(...v.warnings);
      for (const { key, value } of settingsOf(v.values, config)) this.apply(config, sources, key, value, this.userFile, 'user');
    }

    if (repoRoot) {
      const file = path.join(repoRoot, REPO_CONFIG_FILE);
      const read = readRepoConfigFile(file);
      if (read && 'problem' in read) {
        warnings.push(`${tildify(file, homeDir(this.env))} ignored: ${read.problem}`);
      } else if (read) {
        files.push(file);
        const doc = await ConfigManager.parseText(read.text, file);
        // Keys a repository may never set are not read at all, not even checked: a value there
        // that fleet could not use must not stop every command of the user (it never applies).
        const userOnly: IgnoredKey[] = [];
        for (const [name, value] of Object.entries(doc)) {
          if (keySpec(name)?.trust !== 'user-only') continue;
          const entries = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value).map(([k, v]) => [`${name}.${k}`, v] as const) : [[name, value] as const];
          for (const [key, v] of entries) userOnly.push({ key, value: v, reason: 'user-only' });
          delete doc[name];
        }
        const v = validateConfig(doc, file);
        warnings.push(...v.warnings);
        const repoFile: RepoConfigFile = { path: file, sha256: null, trust: 'not-needed' };
        report.repoFile = repoFile;
        const keys = settingsOf(v.values, config);
        // Only a file that sets a gated key is hashed and looked up (hashing starts OpenSSL: ~2 ms).
        if (keys.some((k) => k.cls === 'gated')) {
          repoFile.sha256 = sha256(read.bytes);
          const entry = this.trustStore().lookup(repoRoot, (m) => warnings.push(m));
          repoFile.trust = entry?.sha256 === repoFile.sha256 ? 'trusted' : entry ? 'changed' : 'untrusted';
        }
        for (const { key, value, cls } of keys) {
          const reason = cls === 'user-only' ? 'user-only' : cls === 'gated' && repoFile.trust !== 'trusted' ? 'untrusted' : null;
          if (reason) report.ignored.push({ key, value, reason });
          else this.apply(config, sources, key, value, file, 'repo');
        }
        report.ignored.push(...userOnly);
      }
    }
    return { config, warnings, files, report };
  }

  /** Set one validated key (or `table.entry`) from a file; paths resolve against the file's directory. */
  private apply(config: FleetConfig, sources: Record<string, ConfigSource>, key: string, value: unknown, file: string, source: ConfigSource): void {
    const target = config as unknown as Record<string, Record<string, unknown>>;
    const dot = key.indexOf('.');
    if (dot !== -1) {
      target[key.slice(0, dot)]![key.slice(dot + 1)] = value;
    } else {
      (target as Record<string, unknown>)[key] = keySpec(key)?.type === 'path' ? resolveConfigPath(value as string, file, homeDir(this.env)) : value;
    }
    sources[key] = source;
  }
}

/**
 * What a file sets, key by key: tables split into their entries (`agents.NAME`), which merge one
 * by one (a repository's [agents.claude] replaces the user's). Each with the trust class it has
 * when a repository file sets it, decided against the configuration before that file.
 */
export function settingsOf(values: Partial<FleetConfig>, before: ConfigBefore): { key: string; value: unknown; cls: TrustClass }[] {
  const out: { key: string; value: unknown; cls: TrustClass }[] = [];
  for (const [name, value] of Object.entries(values)) {
    const spec = keySpec(name)!;
    if (spec.type !== 'table') out.push({ key: name, value, cls: trustClassOf(spec, value, before) });
    else for (const [entry, ev] of Object.entries(value as Record<string, unknown>)) out.push({ key: `${name}.${entry}`, value: ev, cls: trustClassOf(spec, ev, before) });
  }
  return out;
}

/** A path from a config file: `~` is the user's home; a relative path is relative to the file's directory, not to where fleet runs. */
export function resolveConfigPath(value: string, file: string, home: string): string {
  return path.resolve(path.dirname(file), expandHome(value, home));
}

/**
 * Read a repository's `.fleet.toml` as hostile input: never through a symbolic link (it could
 * name any file on the machine, or /dev/zero), only a regular file of sane size. The bytes that
 * are hashed are the bytes that are parsed.
 */
export function readRepoConfigFile(file: string): { text: string; bytes: Buffer } | { problem: string } | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ELOOP') return { problem: 'it is a symbolic link (fleet never follows links in a repository; make it a regular file)' };
    throw new FleetError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { problem: 'it is not a regular file' };
    if (st.size > MAX_REPO_CONFIG_BYTES) return { problem: `it is larger than ${MAX_REPO_CONFIG_BYTES / 1024} KiB` };
    const bytes = fs.readFileSync(fd);
    return { text: bytes.toString('utf8'), bytes };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The fleet home holds prompts, copies of credential files and the config whose commands fleet
 * runs: it must be the user's alone. Readable by others → made 0700 with a warning. Writable by
 * others (0775, 1777) or owned by someone else → refused: a file planted there (config.toml with
 * setup_commands, trust.json) would be trusted, and a shared directory such as /tmp must not be
 * taken over by a chmod.
 */
export function checkHomePermissions(home: string, userHome: string, warn: (m: string) => void, uid = process.getuid?.()): void {
  const st = fs.statSync(home);
  const shown = tildify(home, userHome);
  const mode = st.mode & 0o7777;
  if (uid !== undefined && st.uid !== uid) {
    throw new FleetError(`fleet home ${shown} belongs to another user (uid ${st.uid})`, {
      hint: 'point AI_FLEET_HOME at a directory of your own',
    });
  }
  if (mode & 0o022) {
    throw new FleetError(`fleet home ${shown} can be written by other users (mode ${octal(mode)})`, {
      hint: `if it is yours alone, check that nothing in it was planted, then: chmod 700 ${shown}; otherwise point AI_FLEET_HOME at a directory of your own`,
    });
  }
  if (mode !== 0o700 && mode & 0o077) {
    fs.chmodSync(home, 0o700);
    warn(`fleet home ${shown} was readable by other users (mode ${octal(mode)}); made it 0700`);
  }
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
