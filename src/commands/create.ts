import { Command } from 'commander';
import { collect } from '../ui/cli-options.js';
import { InterruptedError, UsageError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { checkBranchName, missingPrompt } from '../core/create-plan.js';
import { parseBudget } from '../core/usage/budget.js';
import { createAgent, prepareCreate } from '../ops/create-agent.js';
import { withInterrupts } from '../process/interrupts.js';
import { checkHostName, resolveAgent } from '../ops/resolve-agent.js';
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
  /** --template NAME: the prompt is the template rendered (--prompt text as {{prompt}}). */
  template?: string;
  /** --var key=value, repeatable. */
  var?: string[];
  /** --issue REF: the prompt (or the template's {{issue.*}}) from a GitHub or Linear issue; the branch defaults to issue-123-slug. */
  issue?: string;
  budget?: string;
  /** --host NAME: run it on that [hosts.NAME]. */
  host?: string;
}

export function createCommand(): Command {
  return new Command('create')
    .description('start one agent on a new worktree and branch, in its own tmux session')
    .argument('[branch]', 'branch for the agent (created from --base when it does not exist; with --issue: issue-N-title by default)')
    .option('-p, --prompt <text>', 'what to ask the agent (passed to it as one argument)')
    .option('--prompt-file <file>', 'read the prompt from a file, byte for byte (- reads stdin)')
    .option('--template <name>', 'render the prompt from a template (fleet templates lists them); --prompt text is its {{prompt}}')
    .option('--var <key=value>', 'a template variable (repeatable)', collect)
    .option('--issue <ref>', 'start from an issue: 123, #123, a GitHub issue URL, or a Linear key (ENG-42)')
    .option('-a, --agent <name>', 'agent profile (default: default_agent from the config)')
    .option('-b, --base <ref>', "start the new branch from this ref (default: the main checkout's HEAD)")
    .option('-q, --quick', 'skip setup_commands')
    .option('--budget <usd>', 'USD the agent may spend before fleet says it is over budget (default: budget_usd from the config)')
    .option('--host <name>', 'run it on a host from your config ([hosts.NAME]; fleet doctor --host NAME checks it)')
    .option('--json', 'print the new agent record as JSON')
    .addHelpText('after', `
Examples:
  fleet create fix-auth --prompt "Fix the authentication bug"
  fleet create try-shell --agent shell --prompt "npm test"
  fleet create feat/login --base origin/main --agent codex -p "Add a login page"
  fleet create refactor-db --prompt-file task.md
  fleet create rev-auth --template review --var focus=security -p "See src/auth"
  fleet create --issue 123   # branch issue-123-<title>, the issue as the prompt`)
    .action(async (branch: string | undefined, opts: CreateOptions) => {
      const prompt = await promptFromFlags(opts, { cwd: process.cwd() });
      const ctx = await loadContext({ needRepo: true, json: opts.json });
      await runCreate(ctx, branch, { ...opts, prompt: prompt?.text });
    });
}

export async function runCreate(ctx: RepoContext, branchArg: string | undefined, opts: CreateOptions): Promise<AgentRecord> {
  // Every usage problem before gh or Linear is asked, and before anything is made.
  if (branchArg === undefined && opts.issue === undefined) {
    throw new UsageError('missing <branch>', 'e.g. fleet create fix-auth --prompt "Fix the login bug" (or --issue 123 to name the branch after the issue)');
  }
  if (opts.prompt === undefined && opts.template === undefined && opts.issue === undefined) {
    throw missingPrompt(`fleet create ${branchArg || 'fix-auth'} --prompt "Fix the login bug"`, ['--template NAME', '--issue REF']);
  }
  if (branchArg !== undefined) checkBranchName(branchArg);
  const budget = opts.budget === undefined ? undefined : parseBudget(opts.budget, `fleet create ${branchArg ?? '--issue ' + opts.issue}`);
  const host = checkHostName(ctx, opts.host);
  const profile = resolveAgent(ctx, opts.agent, { onHostsOnly: host !== null });
  const { preparePrompt, promptBase, promptFlagFrom } = await import('../ops/prompt-source.js');
  const src = await preparePrompt(
    { prompt: opts.prompt, template: opts.template, var: opts.var, issue: opts.issue, promptFrom: promptFlagFrom(opts) },
    { run: ctx.run, repo: ctx.repo, env: ctx.env, warn: (m) => ctx.ui.warn(m) },
  );
  const branch = branchArg ?? src.defaultBranch!;
  // Rendered before planning, so the argument size check applies to what the agent gets.
  const prompt = src.render({ branch, base: await promptBase(src, ctx, opts.base) });
  const { plan, pre } = await prepareCreate(ctx, { branch, prompt, profile, base: opts.base ?? null, quick: Boolean(opts.quick), issue: src.issue?.url ?? null, budget, host });

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
        ...(record.host ? [`  host      ${record.host}`] : []),
        `  worktree  ${record.host ? record.worktree : tildify(record.worktree, ctx.env.HOME)}`,
        `  session   ${record.session}`,
        ...(record.issue ? [`  issue     ${record.issue}`] : []),
        `next: fleet logs ${record.branch} · fleet attach ${record.branch} · fleet kill ${record.branch}`,
      ].join('\n'),
    );
  }
  return record;
}

