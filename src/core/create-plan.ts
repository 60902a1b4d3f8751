import { branchNameProblem, sessionNameFor, worktreePathFor } from './names.js';
import type { FleetConfig } from '../config/schema.js';
import { launchPlanFor, type AgentProfile, type LaunchPlan } from './profiles.js';
import { UsageError } from '../errors.js';
import { budgetFor } from './usage/budget.js';

/** Linux refuses a single argv string of 128 KiB or more (MAX_ARG_STRLEN). */
export const MAX_ARG_BYTES = 128 * 1024;

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
  prompt: string;
  batchId: string | null;
  /** Ref the user asked for (--base), or null for the main checkout's HEAD. */
  baseRef: string | null;
  copyPatterns: string[];
  setupCommands: string[];
  /** USD the agent may spend before fleet says it is over budget; null: no budget. */
  budgetUsd: number | null;
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
  /** --budget (USD); unset: budget_usd from the config. */
  budget?: number;
}

/** The prompt, or the usage error naming the missing --prompt with an example of the command. */
export function requirePrompt(prompt: string | undefined, example: string): string {
  if (prompt === undefined) throw new UsageError('missing --prompt', `e.g. ${example}`);
  return prompt;
}

/** Validate names and compute session, worktree and launch argv. Throws a UsageError on bad input. */
export function planCreate(input: CreateInput): CreatePlan {
  const problem = branchNameProblem(input.branch);
  if (problem) {
    throw new UsageError(`invalid branch name "${input.branch}": ${problem}`, 'branch names follow git check-ref-format rules, e.g. fix-auth or feature/login');
  }
  const bytes = Buffer.byteLength(input.prompt);
  if (bytes >= MAX_ARG_BYTES) {
    throw new UsageError(
      `the prompt is ${Math.round(bytes / 1024)} KB; a program can be given at most 128 KB in one argument`,
      'put the details in a file in the repository and ask the agent to read it',
    );
  }
  return {
    repo: input.repo,
    repoName: input.repoName,
    branch: input.branch,
    session: sessionNameFor(input.config.tmux_prefix, input.repoName, input.branch),
    worktree: worktreePathFor(input.config.worktree_root, input.repoName, input.branch),
    agent: input.profile.name,
    launch: launchPlanFor(input.profile.argv),
    prompt: input.prompt,
    batchId: input.batchId ?? null,
    baseRef: input.base ?? null,
    copyPatterns: [...input.config.credential_files],
    setupCommands: input.quick ? [] : [...input.config.setup_commands],
    budgetUsd: budgetFor(input.budget, input.config.budget_usd),
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
