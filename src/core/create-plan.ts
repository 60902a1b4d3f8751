import { branchLengthProblem, branchNameProblem, sessionNameFor, worktreePathFor } from './names.js';
import type { FleetConfig } from '../config/schema.js';
import { launchPlanFor, type AgentProfile, type LaunchPlan } from './profiles.js';
import { UsageError } from '../errors.js';
import type { HookKind } from '../hooks/agents.js';
import { budgetFor } from './usage/budget.js';

/** Linux refuses a single argv string of 128 KiB or more, its terminating NUL counted (MAX_ARG_STRLEN). */
export const MAX_ARG_BYTES = 128 * 1024;

/**
 * Why the argument that carries the prompt is too big for exec, or null. It is the whole
 * argument that counts: `--message={prompt}` adds its text to the prompt's bytes.
 */
export function argumentSizeProblem(launch: LaunchPlan, prompt: string): string | null {
  const promptBytes = Buffer.byteLength(prompt);
  const argBytes = Buffer.byteLength(launch.prefix) + promptBytes + Buffer.byteLength(launch.suffix);
  if (argBytes < MAX_ARG_BYTES) return null;
  const limit = `a program can be given at most ${MAX_ARG_BYTES - 1} bytes (128 KiB) in one argument`;
  if (launch.prefix === '' && launch.suffix === '') return `the prompt is ${promptBytes} bytes; ${limit}`;
  return `the prompt is ${promptBytes} bytes, and with "${launch.prefix}{prompt}${launch.suffix}" around it the agent's argument is ${argBytes}; ${limit}`;
}

/** The steps of making one agent, as progress reports them. */
export type CreatePhase = 'queued' | 'creating worktree' | 'copying files' | 'setup' | 'starting' | 'ready' | 'failed';

/** Everything create will do for one agent, decided before anything is touched. */
export interface CreatePlan {
  repo: string;
  repoName: string;
  branch: string;
  session: string;
  worktree: string;
  agent: string;
  launch: LaunchPlan;
  /** How the agent reports its state (src/hooks), or null: from its output. */
  hooks: HookKind | null;
  /** The profile's own environment (see core/agent-env). */
  env: AgentProfile['env'];
  prompt: string;
  batchId: string | null;
  /** Ref the user asked for (--base), or null for the main checkout's HEAD. */
  baseRef: string | null;
  /** The URL of the issue it starts from (--issue), or null. */
  issue: string | null;
  copyPatterns: string[];
  setupCommands: string[];
  /** USD the agent may spend before fleet says it is over budget; null: no budget. */
  budgetUsd: number | null;
  /** The `[hosts.NAME]` it runs on (--host); null: this machine. Its worktree path is set once the host's home is known. */
  host: string | null;
}

export interface CreateInput {
  repo: string;
  repoName: string;
  branch: string;
  prompt: string;
  profile: AgentProfile;
  config: FleetConfig;
  batchId?: string | null;
  base?: string | null;
  quick?: boolean;
  /** The URL of the issue it starts from (--issue). */
  issue?: string | null;
  /** --budget (USD); unset: budget_usd from the config. */
  budget?: number;
  /** --host NAME. */
  host?: string | null;
}

/**
 * The usage error for a command given no prompt at all, with an example of the command. `others`
 * names the other ways that command takes one (--template NAME, --issue REF).
 */
export function missingPrompt(example: string, others: readonly string[] = []): UsageError {
  return new UsageError('missing --prompt', `e.g. ${example} (or ${['--prompt-file FILE', ...others].join(', ')})`);
}

/** A branch name git can store, or the usage error saying why not. */
export function checkBranchName(branch: string): void {
  const problem = branchNameProblem(branch);
  if (problem) {
    throw new UsageError(`invalid branch name "${branch}": ${problem}`, 'branch names follow git check-ref-format rules, e.g. fix-auth or feature/login');
  }
  const tooLong = branchLengthProblem(branch);
  if (tooLong) {
    const shown = branch.length > 40 ? `${branch.slice(0, 40)}…` : branch;
    throw new UsageError(`branch name "${shown}" is too long: ${tooLong}`, 'use a shorter branch name');
  }
}

/** Validate names and compute session, worktree and launch argv. Throws a UsageError on bad input. */
export function planCreate(input: CreateInput): CreatePlan {
  checkBranchName(input.branch);
  const launch = launchPlanFor(input.profile.argv);
  const tooBig = argumentSizeProblem(launch, input.prompt);
  if (tooBig) throw new UsageError(tooBig, 'put the details in a file in the repository and ask the agent to read it');
  return {
    repo: input.repo,
    repoName: input.repoName,
    branch: input.branch,
    session: sessionNameFor(input.config.tmux_prefix, input.repoName, input.branch),
    worktree: worktreePathFor(input.config.worktree_root, input.repoName, input.branch),
    agent: input.profile.name,
    launch,
    hooks: input.profile.hooks,
    env: input.profile.env,
    prompt: input.prompt,
    batchId: input.batchId ?? null,
    baseRef: input.base ?? null,
    issue: input.issue ?? null,
    copyPatterns: [...input.config.credential_files],
    setupCommands: input.quick ? [] : [...input.config.setup_commands],
    budgetUsd: budgetFor(input.budget, input.config.budget_usd),
    host: input.host ?? null,
  };
}

/** Two plans whose sessions or worktrees would collide (fix.1 and fix-1 map to one session). */
export function findCollisions(plans: readonly CreatePlan[]): string | null {
  const sessions = new Map<string, string>();
  for (const p of plans) {
    const other = sessions.get(p.session);
    if (other !== undefined && other !== p.branch) return `branches "${other}" and "${p.branch}" both map to tmux session "${p.session}"`;
    if (other === p.branch) return `branch "${p.branch}" is given twice`;
    sessions.set(p.session, p.branch);
  }
  return null;
}
