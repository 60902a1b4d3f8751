/** Request bodies of the dashboard's API, checked field by field before anything acts on them. Pure. */
import { PICK_STRATEGIES, type PickStrategy } from '../core/changes.js';
import type { CreateRequest, FanoutRequest, KillRequest, PickRequestBody } from './fleet-ops.js';

/** A body that is not what the endpoint takes: the server answers 400 with this message. */
export class BadRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRequest';
  }
}

type Kind = 'string' | 'boolean' | 'integer';
type Spec = Record<string, { kind: Kind; required?: boolean; max?: number; choices?: readonly string[] }>;

/** Check `body` against `spec`: an object, only known keys, each of its kind (strings non-empty unless optional and empty). */
function check<T>(body: unknown, spec: Spec): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('the request body must be a JSON object');
  const obj = body as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!(key in spec)) throw new BadRequest(`unknown field "${key}"`);
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec)) {
    const v = obj[key];
    if (v === undefined || v === null || (s.kind === 'string' && v === '' && !s.required)) {
      if (s.required) throw new BadRequest(`"${key}" is missing`);
      continue;
    }
    if (s.kind === 'string') {
      if (typeof v !== 'string') throw new BadRequest(`"${key}" must be a string`);
      if (s.max !== undefined && v.length > s.max) throw new BadRequest(`"${key}" is longer than ${s.max} characters`);
      if (s.choices && !s.choices.includes(v)) throw new BadRequest(`"${key}" must be one of ${s.choices.join(', ')}`);
    } else if (s.kind === 'boolean') {
      if (typeof v !== 'boolean') throw new BadRequest(`"${key}" must be true or false`);
    } else if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new BadRequest(`"${key}" must be a whole number`);
    }
    out[key] = v;
  }
  return out as T;
}

/** Prompts may be long (fleet delivers 100 KB intact); names are short. */
const TEXT = 1024 * 1024;
const NAME = 1000;

export function promptBody(body: unknown): { text: string; force?: boolean } {
  // An empty one passes here: fleet prompt's own check refuses it, in its own words.
  return check(body, { text: { kind: 'string', required: true, max: TEXT }, force: { kind: 'boolean' } });
}

export function killBody(body: unknown): KillRequest {
  return check(body, { force: { kind: 'boolean' }, deleteBranch: { kind: 'boolean' } });
}

export function pickBody(body: unknown): PickRequestBody {
  const r = check<{ strategy?: string; into?: string; message?: string }>(body, {
    strategy: { kind: 'string', choices: PICK_STRATEGIES },
    into: { kind: 'string', max: NAME },
    message: { kind: 'string', max: TEXT },
  });
  return { strategy: (r.strategy ?? 'merge') as PickStrategy, into: r.into, message: r.message };
}

export function createBody(body: unknown): CreateRequest {
  return check(body, {
    repo: { kind: 'string', required: true, max: 4096 },
    branch: { kind: 'string', required: true, max: NAME },
    prompt: { kind: 'string', required: true, max: TEXT },
    agent: { kind: 'string', max: NAME },
    base: { kind: 'string', max: NAME },
    quick: { kind: 'boolean' },
  });
}

export function fanoutBody(body: unknown): FanoutRequest {
  return check(body, {
    repo: { kind: 'string', required: true, max: 4096 },
    count: { kind: 'integer', required: true },
    prefix: { kind: 'string', max: NAME },
    prompt: { kind: 'string', required: true, max: TEXT },
    agent: { kind: 'string', max: NAME },
    base: { kind: 'string', max: NAME },
    quick: { kind: 'boolean' },
  });
}

/** A session in a URL path: fleet's own names are [A-Za-z0-9_-] only, so nothing needs decoding. */
export function sessionParam(s: string): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(s)) throw new BadRequest(`"${s.slice(0, 200)}" is not a session name`);
  return s;
}
