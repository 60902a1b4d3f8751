import { FleetError, InterruptedError, UsageError } from '../errors.js';
import type { AgentRecord } from '../state/types.js';
import type { CreatePlan } from './create-plan.js';
import { branchNameProblem } from './names.js';
import { shJoin } from './shell-words.js';

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

/** A pair as given; its prompt is undefined only for a plain branch that a template alone prompts. */
export interface PairSpec {
  branch: string;
  prompt: string | undefined;
}

/**
 * `branch:prompt` pairs for multi. The prompt is everything after the first ":" (git refuses ":"
 * in branch names, so the split is never ambiguous). With a `shared` prompt (multi's --prompt or
 * --prompt-file), a plain `branch` without ":" gets that one; with `templated` (--template) it
 * may have none, the template being its whole prompt. Every pair is checked before anything is made.
 */
export function parsePairs(args: readonly string[], shared?: string, opts: { templated?: boolean } = {}): PairSpec[] {
  if (args.length === 0) {
    throw new UsageError('name at least one branch:prompt pair', 'e.g. fleet multi fix-login:"Fix login" add-tests:"Add test coverage"');
  }
  const pairs: PairSpec[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    const colon = arg.indexOf(':');
    if (colon === -1 && shared === undefined && !opts.templated) {
      throw new UsageError(
        `"${short(arg)}" is not a branch:prompt pair`,
        `quote each pair whole: fleet multi ${/\s/.test(arg) ? 'fix-login' : arg}:"what to do" (or give plain branches one prompt with --prompt or --prompt-file)`,
      );
    }
    const branch = colon === -1 ? arg : arg.slice(0, colon);
    const prompt = colon === -1 ? shared : arg.slice(colon + 1);
    if (branch === '') throw new UsageError(`"${short(arg)}" has no branch before the ":"`, 'e.g. fleet multi fix-login:"Fix login"');
    const problem = branchNameProblem(branch);
    if (problem) {
      throw new UsageError(`invalid branch name "${branch}": ${problem}`, 'branch names follow git check-ref-format rules, e.g. fix-auth or feature/login');
    }
    if (prompt?.trim() === '') throw new UsageError(`the prompt for "${branch}" is empty`, `e.g. fleet multi ${branch}:"what to do"`);
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
  /** What a command that makes the failed agents again needs besides their plans. */
  retry: RetryFacts;
}

/** The options a batch was made with, and where each failed agent's prompt can be read from. */
export interface RetryFacts {
  /** --base as given (null: the main checkout's HEAD). */
  base: string | null;
  quick: boolean;
  /** Branch → a file holding exactly its prompt (the user's --prompt-file, or a copy fleet saved). */
  promptFiles: Readonly<Record<string, string>>;
}

/** A prompt a hint cannot show inline (it would span lines or a screen): it is given with --prompt-file. */
export function promptNeedsFile(prompt: string): boolean {
  return prompt.length > 200 || /[\x00-\x1f\x7f]/.test(prompt);
}

/**
 * Commands that make the failed agents again in their batch, as they are: one `fleet multi`
 * per agent profile and prompt, the prompt shell-quoted (or by --prompt-file), the same --agent,
 * --base and --quick.
 */
export function retryCommands(result: Pick<BatchResult, 'batchId' | 'plans' | 'failed' | 'retry'>): string[] {
  const groups = new Map<string, { agent: string; prompt: string; branches: string[] }>();
  for (const f of result.failed) {
    const plan = result.plans.find((p) => p.branch === f.branch);
    if (!plan) continue;
    const key = `${plan.agent}\0${plan.prompt}`;
    const g = groups.get(key) ?? { agent: plan.agent, prompt: plan.prompt, branches: [] };
    g.branches.push(plan.branch);
    groups.set(key, g);
  }
  const { base, quick, promptFiles } = result.retry;
  return [...groups.values()].map((g) => {
    const file = promptFiles[g.branches[0]!];
    const words = ['fleet', 'multi', ...g.branches, ...(file !== undefined ? ['--prompt-file', file] : ['--prompt', g.prompt])];
    words.push('--agent', g.agent, '--batch', result.batchId);
    if (base !== null) words.push('--base', base);
    if (quick) words.push('--quick');
    return shJoin(words);
  });
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
  const retry = retryCommands(result);
  const again = `fix the cause above, then make ${names.length === 1 ? 'it' : 'them'} again in this batch:`;
  return {
    error: new FleetError(
      `${names.length} of ${total} agents could not be made and were rolled back: ${list(names)}` +
        (kept.length > 0 ? `; the other ${kept.length} are running` : ''),
      {
        hint:
          kept.length === 0
            ? `fix the cause above and run the command again`
            : retry.length === 1
              ? `${again} ${retry[0]}`
              : [again, ...retry.map((c) => `  ${c}`)].join('\n'),
      },
    ),
    details,
  };
}
