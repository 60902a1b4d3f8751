import { branchForIssue, parseIssueRef, type Issue } from '../core/issue.js';
import { promptWarnings, renderPromptFor, type PromptFrom, type Template } from '../core/prompt.js';
import { parseVarFlags } from '../core/template.js';
import { currentBranch } from '../git/refs.js';
import type { Runner } from '../process/runner.js';
import { fetchIssue } from './issues.js';
import { loadTemplate } from './templates.js';

/** The prompt-related options create, fanout and multi share. */
export interface PromptOptions {
  prompt?: string;
  /** `--template NAME` (or `user:NAME`, `repo:NAME`). */
  template?: string;
  /** `--var key=value`, repeatable. */
  var?: string[];
  /** `--issue REF`. */
  issue?: string;
  /** How `prompt` was given, for messages (default: --prompt). */
  promptFrom?: PromptFrom;
}

export interface PromptSourceContext {
  run: Runner;
  /** The repository's main checkout and its directory name ({{repo}}). */
  repo: { root: string; name: string };
  env: NodeJS.ProcessEnv;
  warn?: (message: string) => void;
}

/** Everything about the prompt that is the same for every agent of one command. */
export interface PromptSource {
  template: Template | null;
  issue: Issue | null;
  /** The branch (create) or branch prefix (fanout) to use when none is given: `issue-123-short-title`. */
  defaultBranch: string | null;
  /**
   * This agent's prompt; `base` is --base as given, or the main checkout's branch. `prompt`, when
   * the key is there (even undefined: none), replaces the --prompt text for this agent (multi: each
   * pair's own text is its {{prompt}}, and a plain branch may have none).
   */
  render(agent: { branch: string; base: string; prompt?: string; promptFrom?: PromptFrom }): string;
}

/**
 * Check the options, load the template and fetch the issue, once per command and before
 * anything is made: every usage problem (bad --var, unknown template, a variable not set,
 * --prompt text a template would drop) is reported before gh or Linear is asked. Values the
 * template never uses are warned about. Then `render` gives each agent its prompt.
 */
export async function preparePrompt(opts: PromptOptions, ctx: PromptSourceContext): Promise<PromptSource> {
  const vars = parseVarFlags(opts.var ?? []);
  const ref = opts.issue !== undefined ? parseIssueRef(opts.issue) : null;
  const template = opts.template !== undefined ? loadTemplate(opts.template, { repoRoot: ctx.repo.root, env: ctx.env, warn: ctx.warn }) : null;
  const common = { template, vars, prompt: opts.prompt, promptFrom: opts.promptFrom, repo: ctx.repo.name, branch: '', base: '' };
  // Which variables exist depends only on which options were given: check with a stand-in issue first.
  const standIn: Issue | null = ref ? { provider: ref.provider, ref: '', number: '', title: '', body: '', url: '', labels: [] } : null;
  renderPromptFor({ ...common, issue: standIn });

  const issue = opts.issue !== undefined ? await fetchIssue(opts.issue, { run: ctx.run, repoDir: ctx.repo.root, env: ctx.env }) : null;
  renderPromptFor({ ...common, issue }); // the issue's own text may hold what no argument can (a NUL byte)
  for (const w of promptWarnings({ template, vars, issue })) ctx.warn?.(w);
  return {
    template,
    issue,
    defaultBranch: issue ? branchForIssue(issue) : null,
    render: (agent) =>
      renderPromptFor({ ...common, issue, branch: agent.branch, base: agent.base, prompt: 'prompt' in agent ? agent.prompt : common.prompt, promptFrom: agent.promptFrom ?? common.promptFrom }),
  };
}

/**
 * What {{base}} says: --base as given, or the main checkout's branch (what preflight records as
 * the agent's base_ref), or HEAD when it is detached. Asks git only when a template is used.
 */
export async function promptBase(src: PromptSource, ctx: { run: Runner; repo: { root: string } }, base: string | undefined): Promise<string> {
  if (base !== undefined) return base;
  if (!src.template) return '';
  return (await currentBranch(ctx.run, ctx.repo.root)) ?? 'HEAD';
}

/** How --prompt text was given, for the message when a template would drop it: the flag, or the file. */
export function promptFlagFrom(opts: { promptFile?: string }): PromptFrom | undefined {
  return opts.promptFile !== undefined ? { what: 'the --prompt-file text', drop: '--prompt-file' } : undefined;
}
