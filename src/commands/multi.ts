import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { batchIdProblem, parsePairs, type BatchResult, type PairSpec } from '../core/batch.js';
import type { PromptFrom } from '../core/prompt.js';
import { collect } from '../ui/cli-options.js';
import { parseBudget } from '../core/usage/budget.js';
import { createBatch, newBatchId, type BatchRequest } from '../ops/batch.js';
import { checkHostName, resolveAgent } from '../ops/resolve-agent.js';
import { promptFromFlags } from '../ops/prompt-file.js';
import { progressOn, reportBatch } from '../ui/batch-report.js';

export interface MultiOptions {
  /** The prompt of every plain branch given without one of its own. */
  prompt?: string;
  /** --prompt-file FILE (- for stdin): the same, read from a file. */
  promptFile?: string;
  agent?: string;
  batch?: string;
  base?: string;
  quick?: boolean;
  json?: boolean;
  /** --template NAME: each pair's prompt is its {{prompt}}; plain branches may then have none. */
  template?: string;
  /** --var key=value, repeatable. */
  var?: string[];
  budget?: string;
  /** --host NAME: every agent on that host. */
  host?: string;
}

export function multiCommand(): Command {
  return new Command('multi')
    .description('start one agent per branch:prompt pair, all in one batch')
    .argument('<pairs...>', 'branch:prompt pairs (the prompt is everything after the first ":"), or plain branches with --prompt/--prompt-file')
    .option('-p, --prompt <text>', 'the prompt of every plain branch (one given without ":prompt")')
    .option('--prompt-file <file>', 'the same, read from a file byte for byte (- reads stdin)')
    .option('--template <name>', "render each prompt from a template: a pair's text is its {{prompt}}, {{branch}} its branch")
    .option('--var <key=value>', 'a template variable (repeatable)', collect)
    .option('-a, --agent <name>', 'agent profile for all of them (default: default_agent from the config)')
    .option('--batch <id>', 'batch id (default: multi-<random>, printed)')
    .option('-b, --base <ref>', "start the new branches from this ref (default: the main checkout's HEAD)")
    .option('-q, --quick', 'skip setup_commands')
    .option('--budget <usd>', 'USD each agent may spend before fleet says it is over budget (default: budget_usd from the config)')
    .option('--host <name>', 'run them on a host from your config ([hosts.NAME])')
    .option('--json', 'print the created agent records as a JSON array')
    .addHelpText('after', `
Every pair is checked before anything is made. Set-up runs like fanout's: at
most max_parallel at once, a failed agent rolled back alone (exit 1), Ctrl+C
keeps the finished ones (exit 130). A plain branch (no ":") takes --prompt or
--prompt-file; pairs keep their own. With --template, each agent's prompt is
the template rendered for it (a pair's text as its {{prompt}}), and a plain
branch needs no prompt of its own.

Examples:
  fleet multi fix-login:"Fix login" add-tests:"Add test coverage"
  fleet multi api:"Rename the field to: user_id" ui:"Show it" --batch rename \\
    --agent codex
  fleet multi try-a try-b review:"Review both" --prompt-file task.md
  fleet multi api:"Check the API" ui:"Check the UI" --template review`)
    .action(async (args: string[], opts: MultiOptions) => {
      const prompt = await promptFromFlags(opts, { cwd: process.cwd() });
      const pairs = multiArgs(args, { ...opts, prompt: prompt?.text }, prompt?.file ?? null);
      const ctx = await loadContext({ needRepo: true, json: opts.json });
      await runMulti(ctx, pairs, opts);
    });
}

/**
 * A pair, the file its prompt came from when it took the --prompt-file one, and whether the
 * prompt is its own (`branch:prompt`) rather than the shared --prompt one.
 */
export type MultiPair = PairSpec & { promptFile: string | null; own: boolean };

/** The pairs and --batch, checked before anything is read or made. `promptFile` is where --prompt came from, if a file. */
export function multiArgs(args: readonly string[], opts: MultiOptions, promptFile: string | null = null): MultiPair[] {
  if (opts.batch !== undefined) {
    const problem = batchIdProblem(opts.batch);
    if (problem) throw new UsageError(`invalid batch id "${opts.batch}": ${problem}`, 'batch ids follow the branch name rules, e.g. --batch login-work');
  }
  const pairs = parsePairs(args, opts.prompt, { templated: opts.template !== undefined });
  if (opts.prompt !== undefined && !args.some((a) => !a.includes(':'))) {
    throw new UsageError('--prompt/--prompt-file is for plain branches, and every pair has its own prompt', 'drop it, or give plain branches: fleet multi try-a try-b --prompt-file task.md');
  }
  return pairs.map((p, i) => {
    const own = args[i]!.includes(':');
    return { ...p, own, promptFile: own ? null : promptFile };
  });
}

export async function runMulti(ctx: RepoContext, pairs: readonly MultiPair[], opts: MultiOptions): Promise<BatchResult> {
  const budget = opts.budget === undefined ? undefined : parseBudget(opts.budget, `fleet multi a:"…" b:"…"`);
  const host = checkHostName(ctx, opts.host);
  const profile = resolveAgent(ctx, opts.agent, { onHostsOnly: host !== null });
  const { preparePrompt, promptBase, promptFlagFrom } = await import('../ops/prompt-source.js');
  const from = (p: MultiPair): PromptFrom | undefined =>
    p.own ? { what: `the prompt of "${p.branch}:…"`, drop: `the text after "${p.branch}:" (a plain branch takes the template alone)` } : promptFlagFrom(opts);
  // Checked once with the first prompt given; then each pair's own text is its {{prompt}}.
  const first = pairs.find((p) => p.prompt !== undefined);
  const src = await preparePrompt(
    { prompt: first?.prompt, template: opts.template, var: opts.var, promptFrom: first && from(first) },
    { run: ctx.run, repo: ctx.repo, env: ctx.env, warn: (m) => ctx.ui.warn(m) },
  );
  const base = await promptBase(src, ctx, opts.base);
  // Every prompt rendered (and so checked) before anything is made or a batch id is taken.
  const items = pairs.map((p) => {
    const prompt = src.render({ branch: p.branch, base, prompt: p.prompt, promptFrom: from(p) });
    return { branch: p.branch, prompt, promptFile: prompt === p.prompt ? p.promptFile : null, profile, host };
  });
  let batchId = opts.batch ?? null;
  if (batchId === null) {
    batchId = await newBatchId(ctx, 'multi');
    ctx.ui.note(`batch ${batchId} (generated; name it with --batch ID)`);
  }
  const req: BatchRequest = {
    batchId,
    items,
    base: opts.base ?? null,
    quick: Boolean(opts.quick),
    budget,
    conflictHint: 'or leave that pair out',
  };
  const result = await createBatch(ctx, req, { progress: progressOn(ctx.ui) });
  reportBatch(ctx.ui, result, { json: opts.json, home: ctx.env.HOME });
  return result;
}
