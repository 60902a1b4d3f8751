import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { fanoutBranches, parseAgentMix, parseCount, prefixProblem, type BatchResult } from '../core/batch.js';
import { missingPrompt } from '../core/create-plan.js';
import { collect } from '../ui/cli-options.js';
import { parseBudget } from '../core/usage/budget.js';
import { createBatch, newBatchId, type BatchRequest } from '../ops/batch.js';
import { resolveAgent } from '../ops/resolve-agent.js';
import { promptFromFlags } from '../ops/prompt-file.js';
import { progressOn, reportBatch } from '../ui/batch-report.js';

export interface FanoutOptions {
  prompt?: string;
  /** --prompt-file FILE (- for stdin); the action reads it into `prompt`. */
  promptFile?: string;
  agent?: string;
  agents?: string;
  base?: string;
  quick?: boolean;
  json?: boolean;
  /** --template NAME: each agent's prompt is the template rendered for its own branch. */
  template?: string;
  /** --var key=value, repeatable. */
  var?: string[];
  /** --issue REF: the prompt from the issue; the prefix defaults to issue-123-slug. */
  issue?: string;
  budget?: string;
  /** --host NAME: every agent on that host. */
  host?: string;
  /** --hosts a,b[,local]: spread over them up to each one's max_agents. */
  hosts?: string;
}

/** The command line, checked before anything is read or made. */
export interface FanoutArgs {
  count: number;
  prefix: string | null;
  /** --prompt (or --prompt-file) text; undefined only with --template or --issue, which make the prompt. */
  prompt: string | undefined;
  /** The file the prompt was read from (--prompt-file), or null. */
  promptFile: string | null;
  /** One profile name per agent (from --agents), or null for --agent / default_agent. */
  mix: string[] | null;
}

export function fanoutCommand(): Command {
  return new Command('fanout')
    .description('start <count> agents on the same prompt, one batch: branches <prefix>-1 … <prefix>-<count>')
    .argument('<count>', 'how many agents (1 to 100)')
    .argument('[prefix]', 'branch prefix, also the batch id (default: issue-N-title with --issue, else fanout-<random>, printed)')
    .option('-p, --prompt <text>', 'what to ask every agent (passed to each as one argument)')
    .option('--prompt-file <file>', 'read the prompt from a file, byte for byte (- reads stdin)')
    .option('--template <name>', 'render each prompt from a template ({{branch}} is each agent\'s own); --prompt text is its {{prompt}}')
    .option('--var <key=value>', 'a template variable (repeatable)', collect)
    .option('--issue <ref>', 'start from an issue: 123, #123, a GitHub issue URL, or a Linear key (ENG-42)')
    .option('-a, --agent <name>', 'agent profile for all of them (default: default_agent from the config)')
    .option('--agents <mix>', 'a mix of profiles adding up to count, e.g. claude:2,codex:1')
    .option('-b, --base <ref>', "start the new branches from this ref (default: the main checkout's HEAD)")
    .option('-q, --quick', 'skip setup_commands')
    .option('--budget <usd>', 'USD each agent may spend before fleet says it is over budget (default: budget_usd from the config)')
    .option('--host <name>', 'run them on a host from your config ([hosts.NAME])')
    .option('--hosts <names>', 'spread them over hosts (comma-separated; local is this machine), up to each one\'s max_agents')
    .option('--json', 'print the created agent records as a JSON array')
    .addHelpText('after', `
Sets up at most max_parallel agents at once (config, default 4). If one fails,
only that one is rolled back; the others keep running and the command exits 1.
Ctrl+C stops starting new agents, rolls back the half-made ones, keeps the
finished ones, and exits 130.

Examples:
  fleet fanout 3 auth-refactor --prompt "Refactor the auth module"
  fleet fanout 3 cmp --agents claude:2,codex:1 -p "Make the parser 2x faster"
  fleet fanout 8 --quick --agent shell -p "npm test"
  fleet fanout 3 perf --prompt-file task.md
  fleet fanout 3 perf --template review --var focus=speed -p "Profile it first"
  fleet fanout 3 --issue 123      # branches issue-123-<title>-1 … -3`)
    .action(async (countRaw: string, prefix: string | undefined, opts: FanoutOptions) => {
      const prompt = await promptFromFlags(opts, { cwd: process.cwd() });
      const args = { ...fanoutArgs(countRaw, prefix, { ...opts, prompt: prompt?.text }), promptFile: prompt?.file ?? null };
      const ctx = await loadContext({ needRepo: true, json: opts.json });
      await runFanout(ctx, args, opts);
    });
}

export function fanoutArgs(countRaw: string, prefix: string | undefined, opts: FanoutOptions): FanoutArgs {
  const count = parseCount(countRaw);
  if (opts.prompt === undefined && opts.template === undefined && opts.issue === undefined) {
    throw missingPrompt(`fleet fanout ${count} ${prefix ?? 'auth-refactor'} --prompt "Refactor the auth module"`, ['--template NAME', '--issue REF']);
  }
  if (opts.agent !== undefined && opts.agents !== undefined) {
    throw new UsageError('--agent and --agents cannot be used together', '--agent NAME for one profile, or --agents claude:2,codex:1 for a mix');
  }
  if (prefix !== undefined) {
    const problem = prefixProblem(prefix);
    if (problem) throw new UsageError(`invalid prefix "${prefix}": ${problem}`, 'the prefix starts branch names, e.g. auth-refactor or try/parser');
  }
  return { count, prefix: prefix ?? null, prompt: opts.prompt, promptFile: null, mix: opts.agents !== undefined ? parseAgentMix(opts.agents, count) : null };
}

export async function runFanout(ctx: RepoContext, args: FanoutArgs, opts: FanoutOptions): Promise<BatchResult> {
  const budget = opts.budget === undefined ? undefined : parseBudget(opts.budget, `fleet fanout ${args.count} ${args.prefix ?? 'try'}`);
  const names = args.mix ?? Array.from({ length: args.count }, () => opts.agent ?? ctx.config.default_agent);
  const { hostsForBatch } = await import('../ops/host-choice.js');
  const hosts = await hostsForBatch(ctx, opts, args.count);
  const onHostsOnly = hosts.every((h) => h !== null);
  const profiles = new Map([...new Set(names)].map((n) => [n, resolveAgent(ctx, n, { onHostsOnly })]));
  const { preparePrompt, promptBase, promptFlagFrom } = await import('../ops/prompt-source.js');
  const src = await preparePrompt(
    { prompt: args.prompt, template: opts.template, var: opts.var, issue: opts.issue, promptFrom: promptFlagFrom(opts) },
    { run: ctx.run, repo: ctx.repo, env: ctx.env, warn: (m) => ctx.ui.warn(m) },
  );
  let batchId = args.prefix ?? src.defaultBranch;
  if (batchId === null) {
    batchId = await newBatchId(ctx, 'fanout');
    ctx.ui.note(`batch ${batchId} (generated; name it with: fleet fanout ${args.count} <prefix> …)`);
  }
  const branches = fanoutBranches(batchId, args.count);
  const base = await promptBase(src, ctx, opts.base);
  const req: BatchRequest = {
    batchId,
    items: branches.map((branch, i) => {
      // Each agent's own: {{branch}} differs. Rendered before planning, so the size check sees it.
      const prompt = src.render({ branch, base });
      // A retry hint may point at the --prompt-file only while the agent's prompt is that file's text.
      return { branch, prompt, promptFile: prompt === args.prompt ? args.promptFile : null, profile: profiles.get(names[i]!)!, host: hosts[i] };
    }),
    base: opts.base ?? null,
    quick: Boolean(opts.quick),
    budget,
    conflictHint: `or pick another prefix than "${batchId}"`,
    issue: src.issue?.url ?? null,
  };
  const result = await createBatch(ctx, req, { progress: progressOn(ctx.ui) });
  reportBatch(ctx.ui, result, { json: opts.json, home: ctx.env.HOME });
  return result;
}
