import { FleetError } from '../errors.js';
import { REPO_CONFIG_FILE } from './paths.js';
import { keySpec, type FleetConfig, type ScalarSpec } from './schema.js';

export interface Validated {
  values: Partial<FleetConfig>;
  warnings: string[];
}

export function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'object') return 'a table';
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return `the number ${String(v)}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'boolean' || typeof v === 'number') return `${typeof v} ${v}`;
  return typeof v;
}

const EXPECTED: Record<ScalarSpec['type'], string> = {
  string: 'a string',
  path: 'a string',
  'string[]': 'an array of strings',
  int: 'a whole number',
  number: 'a number',
};

/** Where to fix a bad value: the user's file through fleet, a repository's file by hand. */
function fixHint(file: string, key: string): string {
  return file.endsWith(REPO_CONFIG_FILE) ? `fix it in ${file}` : `fix it with: fleet config edit (or fleet config set ${key} VALUE)`;
}

/**
 * Check one scalar value against its spec: the value in its type (a TOML integer arrives as a
 * bigint), or the expectation it fails ("a whole number from 1 to 64").
 */
export function checkScalar(spec: ScalarSpec, raw: unknown): { value: unknown } | { expected: string } {
  let v = raw;
  if ((spec.type === 'string' || spec.type === 'path') && typeof v !== 'string') return { expected: EXPECTED[spec.type] };
  if (spec.type === 'string[]' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) return { expected: EXPECTED['string[]'] };
  if (spec.type === 'int' || spec.type === 'number') {
    if (typeof v === 'bigint') v = Number(v);
    if (typeof v !== 'number' || !Number.isFinite(v) || (spec.type === 'int' && !Number.isInteger(v))) return { expected: EXPECTED[spec.type] };
  }
  const problem = (spec.check as ((x: unknown) => string | null) | undefined)?.(v);
  return problem ? { expected: problem } : { value: v };
}

/**
 * Check a parsed TOML document against the schema. Type errors throw (naming the key and the
 * expected type); unknown keys are warnings.
 */
export function validateConfig(doc: Record<string, unknown>, file: string): Validated {
  const values: Record<string, unknown> = {};
  const warnings: string[] = [];
  const bad = (key: string, expected: string, got: unknown) =>
    new FleetError(`${key} in ${file} must be ${expected}, not ${typeName(got)}`, { hint: fixHint(file, key.split('.')[0]!) });

  for (const [key, raw] of Object.entries(doc)) {
    const spec = keySpec(key);
    if (!spec) {
      warnings.push(`unknown key "${key}" in ${file} (ignored)`);
      continue;
    }
    if (spec.type === 'table') {
      const t = spec.validate(raw, file, bad);
      values[key] = t.entries;
      warnings.push(...t.warnings);
      continue;
    }
    const r = checkScalar(spec, raw);
    if ('expected' in r) throw bad(key, r.expected, raw);
    values[key] = r.value;
  }
  return { values, warnings };
}
