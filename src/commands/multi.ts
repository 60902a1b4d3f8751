import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { batchIdProblem, parsePairs, type BatchResult, type BranchPrompt } from '../core/batch.js';
import { parseBudget } from '../core/usage/budget.js';
import { createBatch, newBatchId, type BatchRequest } from '../ops/batch.js';
import { resolveAgent } from '../ops/resolve-agent.js';
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
  budget?: string;
}

export function multiCommand(): Command {
  return new Command('multi')
    .description('start one agent per branch:prompt pair, all in one batch')
    .argument('<pairs...>', 'branch:prompt pairs (the prompt is everything after the first ":"), or plain branches with --prompt/--prompt-file')
    .option('-p, --prompt <text>', 'the prompt of every plain branch (one given without ":prompt")')
    .option('--prompt-file <file>', 'the same, read from a file byte for byte (- reads stdin)')
    .option('-a, --agent <name>', 'agent profile for all of them (default: default_agent from the config)')
    .option('--batch <id>', 'batch id (default: multi-<random>, printed)')
    .option('-b, --base <ref>', "start the new branches from this ref (default: the main checkout's HEAD)")
    .option('-q, --quick', 'skip setup_commands')
    .option('--budget <usd>', 'USD each agent may spend before fleet says it is over budget (default: budget_usd from the config)')
    .option('--json', 'print the created agent records as a JSON array')
    .addHelpText('after', `
Every pair is checked before anything is made. Set-up runs like fanout's: at
most max_parallel at once, a failed agent rolled back alone (exit 1), Ctrl+C
keeps the finished ones (exit 130). A plain branch (no ":") takes --prompt or
--prompt-file; pairs keep their own.

Examples:
  fleet multi fix-login:"Fix login" add-tests:"Add test coverage"
  fleet multi api:"Rename the field to: user_id" ui:"Show it" --batch rename \\
    --agent codex
  fleet multi try-a try-b review:"Review both" --prompt-file task.md`)
    .action(async (args: string[], opts: MultiOptions) => {
      const prompt = await promptFromFlags(opts, { cwd: process.cwd() });
      const pairs = multiArgs(args, { ...opts, prompt: prompt?.text }, prompt?.file ?? null);
      const ctx = await loadContext({ needRepo: true, json: opts.json });
      await runMulti(ctx, pairs, opts);
    });
}

/** A pair, and the file its prompt came from when it took the --prompt-file one. */
export type MultiPair = BranchPrompt & { promptFile: string | null };

/** The pairs and --batch, checked before anything is read or made. `promptFile` is where --prompt came from, if a file. */
export function multiArgs(args: readonly string[], opts: MultiOptions, promptFile: string | null = null): MultiPair[] {
  if (opts.batch !== undefined) {
    const problem = batchIdProblem(opts.batch);
    if (problem) throw new UsageError(`invalid batch id "${opts.batch}": ${problem}`, 'batch ids follow the branch name rules, e.g. --batch login-work');
  }
  const pairs = parsePairs(args, opts.prompt);
  if (opts.prompt !== undefined && !args.some((a) => !a.includes(':'))) {
    throw new UsageError('--prompt/--prompt-file is for plain branches, and every pair has its own prompt', 'drop it, or give plain branches: fleet multi try-a try-b --prompt-file task.md');
  }
  return pairs.map((p, i) => ({ ...p, promptFile: args[i]!.includes(':') ? null : promptFile }));
}

export async function runMulti(ctx: RepoContext, pairs: readonly (BranchPrompt & { promptFile?: string | null })[], opts: MultiOptions): Promise<BatchResult> {
  const budget = opts.budget === undefined ? undefined : parseBudget(opts.budget, `fleet multi a:"…" b:"…"`);
  const profile = resolveAgent(ctx, opts.agent);
  let batchId = opts.batch ?? null;
  if (batchId === null) {
    batchId = await newBatchId(ctx, 'multi');
    ctx.ui.note(`batch ${batchId} (generated; name it with --batch ID)`);
  }
  const req: BatchRequest = {
    batchId,
    items: pairs.map((p) => ({ ...p, profile })),
    base: opts.base ?? null,
    quick: Boolean(opts.quick),
    budget,
    conflictHint: 'or leave that pair out',
  };
  const result = await createBatch(ctx, req, { progress: progressOn(ctx.ui) });
  reportBatch(ctx.ui, result, { json: opts.json, home: ctx.env.HOME });
  return result;
}
