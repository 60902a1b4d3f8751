import { FleetError, UsageError } from '../errors.js';
import { defaultIssuePrompt, type Issue } from './issue.js';
import { ISSUE_VARIABLES, substitute, templateVariables } from './template.js';

/** A template's text and where it was read from. */
export interface Template {
  name: string;
  text: string;
  source: 'user' | 'repository';
  /** Absolute path of the file. */
  path: string;
}

/** Everything one agent's prompt is made of. */
export interface PromptInput {
  template: Template | null;
  /** `--var key=value` pairs (see parseVarFlags). */
  vars: Record<string, string>;
  /** `--prompt` text: the whole prompt without a template, `{{prompt}}` with one. */
  prompt?: string;
  issue: Issue | null;
  /** This agent's branch: in a fanout every agent gets its own. */
  branch: string;
  /** The repository's name (its directory name). */
  repo: string;
  /** The ref the branch starts from: --base as given, or the main checkout's branch. */
  base: string;
  /** How the prompt text was given, for messages (default: --prompt). */
  promptFrom?: PromptFrom;
}

/** How the user gave the prompt text: `what` names it in a message, `drop` says what to leave out. */
export interface PromptFrom {
  what: string;
  drop: string;
}

const FROM_PROMPT_FLAG: PromptFrom = { what: 'the --prompt text', drop: '--prompt' };

/**
 * The prompt an agent receives: the template rendered, or the issue laid out, or the --prompt
 * text as is. Pure; the result is what the agent gets, byte for byte (values are never escaped
 * or interpreted). Throws a usage error naming every missing variable, and a NUL byte (which no
 * program can receive in an argument) is refused.
 */
export function renderPromptFor(input: PromptInput): string {
  const { template, issue, prompt } = input;
  let text: string;
  if (!template) {
    if (Object.keys(input.vars).length > 0) {
      throw new UsageError('--var needs --template', 'e.g. --template review --var focus=security (fleet templates lists them)');
    }
    if (issue) text = defaultIssuePrompt(issue, prompt);
    else if (prompt !== undefined) text = prompt;
    else throw new UsageError('missing --prompt', 'give --prompt TEXT, --template NAME or --issue REF');
  } else {
    const values = templateValues(input);
    const r = substitute(template.text, (name) => values.get(name));
    if (r.missing.length > 0) throw missingVariables(template, r.missing, values);
    if (prompt !== undefined && !templateVariables(template.text).includes('prompt')) {
      const from = input.promptFrom ?? FROM_PROMPT_FLAG;
      throw new UsageError(`template "${template.name}" has no {{prompt}}, so ${from.what} would be lost`, `drop ${from.drop}, or add {{prompt}} to ${template.path}`);
    }
    text = r.text;
  }
  if (text.includes('\0')) {
    const from = template ? `template "${template.name}" or its variables` : issue ? `issue ${issue.ref}` : 'the prompt';
    throw new FleetError(`the prompt would contain a NUL byte (from ${from}); no program can receive one in an argument`, {
      hint: template ? `remove it from ${template.path}` : undefined,
    });
  }
  return text;
}

/** Notes worth a warning before anything starts: values given that the template never uses. */
export function promptWarnings(input: Pick<PromptInput, 'template' | 'vars' | 'issue'>): string[] {
  if (!input.template) return [];
  const used = new Set(templateVariables(input.template.text));
  const out = Object.keys(input.vars)
    .filter((k) => !used.has(k))
    .map((k) => `--var ${k} is not used by template "${input.template!.name}" (it uses: ${[...used].join(', ') || 'no variables'})`);
  if (input.issue && ![...used].some((v) => v.startsWith('issue.'))) {
    out.push(`template "${input.template.name}" uses no {{issue.*}} variable, so the text of issue ${input.issue.ref} does not reach the agent`);
  }
  return out;
}

function templateValues(input: PromptInput): Map<string, string> {
  const values = new Map<string, string>(Object.entries(input.vars));
  values.set('branch', input.branch);
  values.set('repo', input.repo);
  values.set('base', input.base);
  if (input.prompt !== undefined) values.set('prompt', input.prompt);
  if (input.issue) {
    const i = input.issue;
    const issueValues: Record<(typeof ISSUE_VARIABLES)[number], string> = {
      'issue.number': i.number,
      'issue.title': i.title,
      'issue.body': i.body,
      'issue.url': i.url,
      'issue.labels': i.labels.join(', '),
    };
    for (const [k, v] of Object.entries(issueValues)) values.set(k, v);
  }
  return values;
}

function missingVariables(template: Template, missing: string[], values: Map<string, string>): UsageError {
  const fixes: string[] = [];
  const add = (f: string) => {
    if (!fixes.includes(f)) fixes.push(f);
  };
  for (const name of missing) {
    if (name === 'prompt') add('--prompt TEXT');
    else if ((ISSUE_VARIABLES as readonly string[]).includes(name)) add('--issue REF');
    else if (name.startsWith('issue.')) add(`fix {{${name}}} in ${template.path} (issue variables: ${ISSUE_VARIABLES.join(', ')})`);
    else add(`--var ${name}=VALUE`);
  }
  const available = [...values.keys()].sort();
  return new UsageError(
    `template "${template.name}" needs ${missing.map((m) => `{{${m}}}`).join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not set`,
    `${fixes.map((f) => (f.startsWith('-') ? `add ${f}` : f)).join('; ')} (set now: ${available.join(', ')})`,
  );
}
