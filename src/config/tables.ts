import { FleetError } from '../errors.js';
import { splitCommandLine } from '../core/shell-words.js';
import { CONVERSATION_PLACEHOLDER } from '../core/profiles.js';
import { HOOK_KINDS, isHookKind } from '../hooks/agents.js';
import { BUILTIN_NAMES } from '../core/profiles.js';
import { REPO_CONFIG_FILE } from './paths.js';

/** Makes the error for a value of the wrong type: key, expected, got. */
export type Bad = (key: string, expected: string, got: unknown) => FleetError;

/** What a table key's validator returns: its entries by name, and warnings (unknown keys). */
export interface TableEntries<T> {
  entries: Record<string, T>;
  warnings: string[];
}

/** `[agents.NAME]`: the command line that starts agent NAME, and variables only it gets. */
export interface AgentConfig {
  /** Unset only for a built-in's name: its own command, with this table's other settings (env). */
  command?: string | string[];
  /** `[agents.NAME.env]`: added to (or overriding) `[env]` for this profile only. */
  env?: Record<string, string>;
  /** Which agent it runs, so fleet follows its statuses (src/hooks): claude, codex, gemini, opencode, or "none". */
  hooks?: string;
  /** The command line that resumes a conversation (`fleet revive`), {conversation} where the id goes. */
  resume?: string;
}

export function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** A portable environment variable name (POSIX: letters, digits, "_", not starting with a digit). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `[env]` or `[agents.NAME.env]`: variable name → string value. */
export function validateEnvTable(raw: unknown, where: string, bad: Bad): Record<string, string> {
  if (!isTable(raw)) throw bad(where, `a table of NAME = "value" (e.g. [${where}] HTTP_PROXY = "http://proxy:3128")`, raw);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!ENV_NAME.test(name)) throw bad(`${where}.${name}`, 'named with letters, digits and "_" (not starting with a digit)', name);
    if (typeof value !== 'string') throw bad(`${where}.${name}`, 'a string (quote it)', value);
    if (value.includes('\0')) throw bad(`${where}.${name}`, 'a string without NUL bytes', value);
    env[name] = value;
  }
  return env;
}

export function validateEnv(raw: unknown, _file: string, bad: Bad): TableEntries<string> {
  return { entries: validateEnvTable(raw, 'env', bad), warnings: [] };
}

/**
 * `[agents.NAME]` tables: a command (string or non-empty array of strings) and an optional env
 * table. A built-in's name may leave the command out (`[agents.claude.env]` alone): it keeps the
 * built-in's command, so adding a variable does not mean copying the command line.
 */
export function validateAgents(raw: unknown, file: string, bad: Bad): TableEntries<AgentConfig> {
  if (!isTable(raw)) throw bad('agents', 'a table of [agents.NAME]', raw);
  const entries: Record<string, AgentConfig> = {};
  const warnings: string[] = [];
  for (const [name, prof] of Object.entries(raw)) {
    const where = `agents.${name}`;
    if (!isTable(prof)) throw bad(where, 'a table with a command', prof);
    for (const k of Object.keys(prof)) if (!['command', 'env', 'hooks', 'resume'].includes(k)) warnings.push(`unknown key "${where}.${k}" in ${file} (ignored)`);
    const cmd = prof.command;
    let agent: AgentConfig;
    if (cmd === undefined) {
      if (!BUILTIN_NAMES.includes(name)) {
        const fix = file.endsWith(REPO_CONFIG_FILE) ? `add command = "…" to [${where}] in ${file}` : `fleet config set ${where}.command "mytool {prompt}"`;
        throw new FleetError(`[${where}] in ${file} has no command`, {
          hint: `${fix} (only a built-in agent, ${BUILTIN_NAMES.join(', ')}, may leave it out and keep its own)`,
        });
      }
      agent = {};
    } else if (typeof cmd === 'string') {
      let argv: string[];
      try {
        argv = splitCommandLine(cmd);
      } catch (e) {
        throw new FleetError(`${where}.command in ${file} cannot be split into words: ${(e as Error).message}`);
      }
      if (argv.length === 0) throw bad(`${where}.command`, 'a non-empty command line', cmd);
      agent = { command: cmd };
    } else if (Array.isArray(cmd) && cmd.length > 0 && cmd.every((c) => typeof c === 'string')) {
      agent = { command: cmd };
    } else {
      throw bad(`${where}.command`, 'a string (or a non-empty array of strings)', cmd);
    }
    if (prof.env !== undefined) agent.env = validateEnvTable(prof.env, `${where}.env`, bad);
    Object.assign(agent, profileHooks(prof, where, file, bad));
    entries[name] = agent;
  }
  return { entries, warnings };
}

/**
 * A profile's `hooks` (which agent it runs, so fleet can follow its statuses) and `resume` (the
 * command line that resumes a conversation, with {conversation} where the id goes).
 */
function profileHooks(p: Record<string, unknown>, where: string, file: string, bad: Bad): Pick<AgentConfig, 'hooks' | 'resume'> {
  const out: Pick<AgentConfig, 'hooks' | 'resume'> = {};
  if (p.hooks !== undefined) {
    if (typeof p.hooks !== 'string' || !(p.hooks === 'none' || isHookKind(p.hooks))) throw bad(`${where}.hooks`, `one of ${[...HOOK_KINDS, 'none'].map((k) => `"${k}"`).join(', ')}`, p.hooks);
    out.hooks = p.hooks;
  }
  if (p.resume !== undefined) {
    if (typeof p.resume !== 'string' || !p.resume.includes(CONVERSATION_PLACEHOLDER)) throw bad(`${where}.resume`, `a command line containing ${CONVERSATION_PLACEHOLDER}`, p.resume);
    try {
      splitCommandLine(p.resume);
    } catch (e) {
      throw new FleetError(`${where}.resume in ${file} cannot be split into words: ${(e as Error).message}`);
    }
    out.resume = p.resume;
  }
  return out;
}
