import { FleetError, InterruptedError, UsageError } from '../errors.js';
import type { AgentRecord } from '../state/types.js';
import type { CreatePlan } from './create-plan.js';
import { branchNameProblem } from './names.js';

/** The most agents one fanout makes: plenty for comparing, and a typo like 1000 is refused. */
export const MAX_FANOUT = 100;

/** `count` from the command line: a whole number from 1 to MAX_FANOUT, nothing else ("3.5", "1e2", "-1", "03x"). */
export function parseCount(raw: string): number {
  const s = raw.trim();
  const n = /^[0-9]+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_FANOUT) {
    throw new UsageError(
      `count must be a whole number from 1 to ${MAX_FANOUT} (got "${raw}")`,
      n > MAX_FANOUT ? `split it into several batches, e.g. fleet fanout ${MAX_FANOUT} try-a -p "…"` : 'e.g. fleet fanout 3 auth-refactor --prompt "Refactor the auth module"',
    );
  }
  return n;
}

/** `<prefix>-1 … <prefix>-<count>`. */
export function fanoutBranches(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
}

/** Why a fanout prefix is refused (it must make valid branch names), or null. */
export function prefixProblem(prefix: string): string | null {
  if (prefix.length === 0) return 'it is empty';
  return branchNameProblem(prefix) ?? branchNameProblem(`${prefix}-1`);
}

/** Why a batch id is refused, or null. Same rules as a branch name, so a prefix is always a valid id. */
export function batchIdProblem(id: string): string | null {
  if (id.length > 100) return 'it is longer than 100 characters';
  return branchNameProblem(id);
}

/** `fanout-k3f9a2`: kind + 6 base-36 characters from `random` (injectable for tests). */
export function generateBatchId(kind: 'fanout' | 'multi', taken: ReadonlySet<string> = new Set(), random: () => number = Math.random): string {
  for (let i = 0; i < 100; i++) {
    let id = '';
    for (let j = 0; j < 6; j++) id += Math.floor(random() * 36).toString(36);
    const candidate = `${kind}-${id}`;
    if (!taken.has(candidate)) return candidate;
  }
  throw new Error('could not find a free batch id');
}

/**
 * `--agents claude:2,codex:1` → one profile name per agent, in order (claude, claude, codex).
 * A name without `:N` counts once; a name given twice adds up. The total must equal `count`
 * when one is given.
 */
export function parseAgentMix(spec: string, count?: number): string[] {
  const counts = new Map<string, number>();
  const parts = spec.split(',').map((p) => p.trim());
  if (parts.every((p) => p === '')) throw mixError(spec, 'it is empty');
  for (const part of parts) {
    if (part === '') continue;
    const colon = part.lastIndexOf(':');
    const name = (colon === -1 ? part : part.slice(0, colon)).trim();
    const nRaw = colon === -1 ? '1' : part.slice(colon + 1).trim();
    if (name === '') throw mixError(spec, `"${part}" has no agent name`);
    if (!/^[0-9]+$/.test(nRaw) || Number(nRaw) < 1) throw mixError(spec, `"${part}": the count after ":" must be a whole number, at least 1`);
    counts.set(name, (counts.get(name) ?? 0) + Number(nRaw));
  }
  const out: string[] = [];
  for (const [name, n] of counts) for (let i = 0; i < n; i++) out.push(name);
  if (out.length > MAX_FANOUT) throw mixError(spec, `it adds up to ${out.length} agents; at most ${MAX_FANOUT}`);
  if (count !== undefined && out.length !== count) {
    throw new UsageError(
      `--agents "${spec}" adds up to ${out.length} agent(s), but count is ${count}`,
      `make them agree, e.g. fleet fanout ${out.length} … --agents ${spec}`,
    );
  }
  return out;
}

function mixError(spec: string, why: string): UsageError {
  return new UsageError(`invalid --agents "${spec}": ${why}`, 'e.g. --agents claude:2,codex:1 (profile:count, comma-separated)');
}

export interface BranchPrompt {
  branch: string;
  prompt: string;
}

/**
 * `branch:prompt` pairs for multi. The prompt is everything after the first ":" (git refuses ":"
 * in branch names, so the split is never ambiguous). Every pair is checked before anything is made.
 */
export function parsePairs(args: readonly string[]): BranchPrompt[] {
  if (args.length === 0) {
    throw new UsageError('name at least one branch:prompt pair', 'e.g. fleet multi fix-login:"Fix login" add-tests:"Add test coverage"');
  }
  const pairs: BranchPrompt[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    const colon = arg.indexOf(':');
    if (colon === -1) {
      throw new UsageError(`"${short(arg)}" is not a branch:prompt pair`, `quote each pair whole: fleet multi ${/\s/.test(arg) ? 'fix-login' : arg}:"what to do"`);
    }
    const branch = arg.slice(0, colon);
    const prompt = arg.slice(colon + 1);
    if (branch === '') throw new UsageError(`"${short(arg)}" has no branch before the ":"`, 'e.g. fleet multi fix-login:"Fix login"');
    const problem = branchNameProblem(branch);
    if (problem) {
      throw new UsageError(`invalid branch name "${branch}": ${problem}`, 'branch names follow git check-ref-format rules, e.g. fix-auth or feature/login');
    }
    if (prompt.trim() === '') throw new UsageError(`the prompt for "${branch}" is empty`, `e.g. fleet multi ${branch}:"what to do"`);
    if (seen.has(branch)) throw new UsageError(`branch "${branch}" is given twice`, 'give each agent its own branch');
    seen.add(branch);
    pairs.push({ branch, prompt });
  }
  return pairs;
}

function short(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 60 ? one.slice(0, 57) + '...' : one;
}

export interface BatchFailure {
  branch: string;
  error: FleetError;
}

export interface BatchResult {
  batchId: string;
  plans: CreatePlan[];
  /** Agents that are running, in plan order. */
  created: AgentRecord[];
  /** Could not be made; everything made for them was rolled back. */
  failed: BatchFailure[];
  /** Half-made when the signal came; rolled back. */
  rolledBack: string[];
  /** Still queued when the signal came; nothing was made for them. */
  notStarted: string[];
  interrupted: boolean;
}

/**
 * What the batch's outcome means for the exit status: null when every agent runs, an
 * InterruptedError (130) after a signal, else a FleetError (1) naming the failed agents.
 * Each failure's own explanation (setup log tail, hint) is in `details`, to print before it.
 */
export function batchOutcome(result: BatchResult): { error: FleetError | null; details: string[] } {
  const details: string[] = [];
  for (const f of result.failed) {
    details.push(`✖ ${f.branch}: ${f.error.message}${f.error.hint ? `\n  ${f.error.hint}` : ''}`);
  }
  const total = result.plans.length;
  const kept = result.created.map((r) => r.branch);
  const list = (xs: string[]) => xs.join(', ');
  if (result.interrupted) {
    const parts = [`${kept.length} of ${total} agents kept${kept.length ? ` (${list(kept)})` : ''}`];
    if (result.rolledBack.length) parts.push(`${result.rolledBack.length} half-made rolled back (${list(result.rolledBack)})`);
    if (result.notStarted.length) parts.push(`${result.notStarted.length} not started (${list(result.notStarted)})`);
    if (result.failed.length) parts.push(`${result.failed.length} failed (${list(result.failed.map((f) => f.branch))})`);
    const hint = kept.length > 0 ? `fleet list --grouped shows them; fleet kill --batch ${result.batchId} ends them` : undefined;
    return { error: new InterruptedError(`interrupted: ${parts.join('; ')}`, { hint }), details };
  }
  if (result.failed.length === 0) return { error: null, details };
  const names = result.failed.map((f) => f.branch);
  return {
    error: new FleetError(
      `${names.length} of ${total} agents could not be made and were rolled back: ${list(names)}` +
        (kept.length > 0 ? `; the other ${kept.length} are running` : ''),
      {
        hint:
          kept.length > 0
            ? `fix the cause above, then make ${names.length === 1 ? 'it' : 'them'} again in this batch: fleet multi ${names.map((n) => `${n}:"…"`).join(' ')} --batch ${result.batchId}`
            : `fix the cause above and run the command again`,
      },
    ),
    details,
  };
}
