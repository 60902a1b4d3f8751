import { Command } from 'commander';
import { InterruptedError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { requirePrompt } from '../core/create-plan.js';
import { parseBudget } from '../core/usage/budget.js';
import { createAgent, prepareCreate } from '../ops/create-agent.js';
import { withInterrupts } from '../process/interrupts.js';
import { resolveAgent } from '../ops/resolve-agent.js';
import { promptFromFlags } from '../ops/prompt-file.js';
import type { AgentRecord } from '../state/types.js';
import { startSpinner } from '../ui/spinner.js';
import { tildify } from '../core/format.js';

export interface CreateOptions {
  prompt?: string;
  /** --prompt-file FILE (- for stdin); the action reads it into `prompt`. */
  promptFile?: string;
  agent?: string;
  base?: string;
  quick?: boolean;
  json?: boolean;
  budget?: string;
}

export function createCommand(): Command {
  return new Command('create')
    .description('start one agent on a new worktree and branch, in its own tmux session')
    .argument('<branch>', 'branch for the agent (created from --base when it does not exist)')
    .option('-p, --prompt <text>', 'what to ask the agent (passed to it as one argument)')
    .option('--prompt-file <file>', 'read the prompt from a file, byte for byte (- reads stdin)')
    .option('-a, --agent <name>', 'agent profile (default: default_agent from the config)')
    .option('-b, --base <ref>', "start the new branch from this ref (default: the main checkout's HEAD)")
    .option('-q, --quick', 'skip setup_commands')
    .option('--budget <usd>', 'USD the agent may spend before fleet says it is over budget (default: budget_usd from the config)')
    .option('--json', 'print the new agent record as JSON')
    .addHelpText('after', `
Examples:
  fleet create fix-auth --prompt "Fix the authentication bug"
  fleet create try-shell --agent shell --prompt "npm test"
  fleet create feat/login --base origin/main --agent codex -p "Add a login page"
  fleet create refactor-db --prompt-file task.md`)
    .action(async (branch: string, opts: CreateOptions) => {
      const prompt = await promptFromFlags(opts, { cwd: process.cwd() });
      const ctx = await loadContext({ needRepo: true, json: opts.json });
      await runCreate(ctx, branch, { ...opts, prompt: prompt?.text });
    });
}

export async function runCreate(ctx: RepoContext, branch: string, opts: CreateOptions): Promise<AgentRecord> {
  const prompt = requirePrompt(opts.prompt, `fleet create ${branch || 'fix-auth'} --prompt "Fix the login bug"`);
  const profile = resolveAgent(ctx, opts.agent);
  const budget = opts.budget === undefined ? undefined : parseBudget(opts.budget, `fleet create ${branch}`);
  const { plan, pre } = await prepareCreate(ctx, { branch, prompt, profile, base: opts.base ?? null, quick: Boolean(opts.quick), budget });

  const spinner = await startSpinner(ctx.ui, `creating ${plan.branch}`);
  let record: AgentRecord;
  try {
    record = await withInterrupts((signal) =>
      createAgent(ctx, plan, pre, {
        signal,
        onPhase: (phase) => spinner.text(`${plan.branch}: ${phase}`),
        onNote: (n) => spinner.note(n),
        onWarning: (w) => spinner.warn(w),
      }),
    );
  } catch (e) {
    spinner.fail(`${plan.branch}: not created (everything made was rolled back)`);
    if (e instanceof InterruptedError) {
      throw new InterruptedError(`interrupted: "${plan.branch}" was not created; everything made was rolled back`);
    }
    throw e;
  }
  spinner.succeed(`${plan.branch}: ${plan.agent} agent started`);

  if (opts.json) {
    ctx.ui.out(JSON.stringify(record, null, 2));
  } else {
    ctx.ui.out(
      [
        `created ${record.branch} (${record.agent}${pre.newBranch ? `, new branch from ${pre.baseRef}` : ', existing branch'})`,
        `  worktree  ${tildify(record.worktree, ctx.env.HOME)}`,
        `  session   ${record.session}`,
        `next: fleet logs ${record.branch} · fleet attach ${record.branch} · fleet kill ${record.branch}`,
      ].join('\n'),
    );
  }
  return record;
}

