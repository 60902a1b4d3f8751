import { FleetError } from '../errors.js';
import { splitCommandLine } from '../core/shell-words.js';
import { CONFIG_KEYS, type FleetConfig } from './schema.js';
import { validateHosts } from './hosts.js';

export interface Validated {
  values: Partial<FleetConfig>;
  warnings: string[];
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a table';
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return `the number ${String(v)}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'boolean' || typeof v === 'number') return `${typeof v} ${v}`;
  return typeof v;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  'string[]': 'an array of strings',
  int: 'a whole number',
};

/**
 * Check a parsed TOML document against the schema. Type errors throw (naming the key and the
 * expected type); unknown keys are warnings.
 */
export function validateConfig(doc: Record<string, unknown>, file: string): Validated {
  const values: Partial<FleetConfig> = {};
  const warnings: string[] = [];
  const bad = (key: string, expected: string, got: unknown) =>
    new FleetError(`${key} in ${file} must be ${expected}, not ${typeName(got)}`, {
      hint: `fix it with: fleet config edit (or fleet config set ${key.split('.')[0]} VALUE)`,
    });

  for (const [key, raw] of Object.entries(doc)) {
    if (key === 'agents') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('agents', 'a table of [agents.NAME]', raw);
      const agents: FleetConfig['agents'] = {};
      for (const [name, prof] of Object.entries(raw as Record<string, unknown>)) {
        const where = `agents.${name}`;
        if (typeof prof !== 'object' || prof === null || Array.isArray(prof)) throw bad(where, 'a table with a command', prof);
        const p = prof as Record<string, unknown>;
        for (const k of Object.keys(p)) if (k !== 'command' && k !== 'env') warnings.push(`unknown key "${where}.${k}" in ${file} (ignored)`);
        const cmd = p.command;
        if (typeof cmd === 'string') {
          let argv: string[];
          try {
            argv = splitCommandLine(cmd);
          } catch (e) {
            throw new FleetError(`${where}.command in ${file} cannot be split into words: ${(e as Error).message}`);
          }
          if (argv.length === 0) throw bad(`${where}.command`, 'a non-empty command line', cmd);
          agents[name] = { command: cmd };
        } else if (Array.isArray(cmd) && cmd.length > 0 && cmd.every((c) => typeof c === 'string')) {
          agents[name] = { command: cmd };
        } else {
          throw bad(`${where}.command`, 'a string (or a non-empty array of strings)', cmd);
        }
        if (p.env !== undefined) agents[name].env = envTable(p.env, `${where}.env`, bad);
      }
      values.agents = agents;
      continue;
    }
    if (key === 'env') {
      values.env = envTable(raw, 'env', bad);
      continue;
    }
    if (key === 'hosts') {
      const badHost = (k: string, expected: string, got: unknown) =>
        new FleetError(`${k} in ${file} must be ${expected}, not ${typeName(got)}`, { hint: 'fix it with: fleet config edit' });
      const h = validateHosts(raw, file, badHost);
      values.hosts = h.hosts;
      warnings.push(...h.warnings);
      continue;
    }
    const spec = (CONFIG_KEYS as Record<string, (typeof CONFIG_KEYS)[keyof typeof CONFIG_KEYS]>)[key];
    if (!spec) {
      warnings.push(`unknown key "${key}" in ${file} (ignored)`);
      continue;
    }
    let v: unknown = raw;
    if (spec.type === 'string' && typeof v !== 'string') throw bad(key, EXPECTED.string!, v);
    if (spec.type === 'string[]' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
      throw bad(key, EXPECTED['string[]']!, v);
    }
    if (spec.type === 'int') {
      if (typeof v === 'bigint') v = Number(v);
      if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(key, EXPECTED.int!, v);
    }
    const problem = spec.check?.(v);
    if (problem) throw bad(key, problem, v);
    (values as Record<string, unknown>)[key] = v;
  }
  return { values, warnings };
}

/** `[env]` or `[agents.NAME.env]`: variable name → string value. */
function envTable(raw: unknown, where: string, bad: (key: string, expected: string, got: unknown) => FleetError): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(where, `a table of NAME = "value" (e.g. [${where}] HTTP_PROXY = "http://proxy:3128")`, raw);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw bad(`${where}.${name}`, 'named with letters, digits and "_" (not starting with a digit)', name);
    if (typeof value !== 'string' || value.includes('\0')) throw bad(`${where}.${name}`, 'a string (quote it) without NUL bytes', value);
    env[name] = value;
  }
  return env;
}
