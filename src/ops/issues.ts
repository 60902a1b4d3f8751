import { FleetError } from '../errors.js';
import { ghIssueError, issueRefLabel, parseGhIssueJson, parseIssueRef, type Issue, type IssueRef } from '../core/issue.js';
import type { Runner } from '../process/runner.js';
import { findExecutable } from './resolve-agent.js';

export interface IssueFetchOptions {
  run: Runner;
  /** The repository gh reads its remotes from when REF is a bare number. */
  repoDir: string;
  env: NodeJS.ProcessEnv;
  /** Per request; the default is 30 s. */
  timeoutMs?: number;
}

const GH_FIELDS = 'number,title,body,url,labels';
export const LINEAR_API_URL = 'https://api.linear.app/graphql';
const LINEAR_QUERY = 'query FleetIssue($id: String!) { issue(id: $id) { identifier title description url labels { nodes { name } } } }';

/**
 * Read the issue `--issue REF` names: GitHub through the user's own `gh`, Linear through its
 * GraphQL API with LINEAR_API_KEY. Every failure (gh missing or logged out, no such issue, no
 * network, a bad key) is one FleetError with a hint; nothing is made before this returns.
 */
export async function fetchIssue(refText: string, opts: IssueFetchOptions): Promise<Issue> {
  const ref = parseIssueRef(refText);
  return ref.provider === 'github' ? fetchGithubIssue(ref, opts) : fetchLinearIssue(ref, opts);
}

async function fetchGithubIssue(ref: Extract<IssueRef, { provider: 'github' }>, opts: IssueFetchOptions): Promise<Issue> {
  const env = opts.env;
  const label = issueRefLabel(ref);
  if (!findExecutable('gh', env.PATH ?? '')) {
    throw new FleetError(`--issue ${label} needs the GitHub CLI (gh), which is not on PATH`, {
      hint: 'install it (https://cli.github.com: brew install gh, or apt-get install gh), then gh auth login',
    });
  }
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const signal = AbortSignal.timeout(timeoutMs);
  let r;
  try {
    // A URL names its repository; a bare number is resolved by gh from this clone's remotes.
    r = await opts.run('gh', ['issue', 'view', ref.url ?? String(ref.number), '--json', GH_FIELDS], {
      cwd: opts.repoDir,
      reject: false,
      signal,
      // Plain JSON whatever the user's terminal settings: no colour, no pager, no prompt.
      env: { ...env, GH_PROMPT_DISABLED: '1', GH_NO_UPDATE_NOTIFIER: '1', NO_COLOR: '1', CLICOLOR_FORCE: undefined, GH_FORCE_TTY: undefined, GH_PAGER: 'cat' },
    });
  } catch (e) {
    if (signal.aborted) {
      throw new FleetError(`gh did not answer within ${duration(timeoutMs)} while reading issue ${label}`, {
        hint: 'check your internet connection (or https://githubstatus.com) and try again',
      });
    }
    throw e;
  }
  if (r.exitCode !== 0) throw ghIssueError(label, r, ref.url === null);
  return parseGhIssueJson(r.stdout, label);
}

interface LinearAnswer {
  data?: { issue?: { identifier?: unknown; title?: unknown; description?: unknown; url?: unknown; labels?: { nodes?: Array<{ name?: unknown }> } } | null } | null;
  errors?: Array<{ message?: string; extensions?: { type?: string; code?: string; userPresentableMessage?: string } }>;
}

async function fetchLinearIssue(ref: Extract<IssueRef, { provider: 'linear' }>, opts: IssueFetchOptions): Promise<Issue> {
  const env = opts.env;
  const key = env.LINEAR_API_KEY?.trim();
  if (!key) {
    throw new FleetError(`--issue ${ref.key} needs LINEAR_API_KEY (a Linear personal API key) in the environment`, {
      hint: 'create one at https://linear.app/settings/account/security, then export LINEAR_API_KEY=lin_api_…',
    });
  }
  // FLEET_LINEAR_URL points at a proxy or a test stand-in; the key travels only in a header.
  const url = env.FLEET_LINEAR_URL?.trim() || LINEAR_API_URL;
  const host = hostOf(url);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let res: Response;
  let answer: LinearAnswer | null = null;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: key },
      body: JSON.stringify({ query: LINEAR_QUERY, variables: { id: ref.key } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    try {
      answer = JSON.parse(text) as LinearAnswer;
    } catch {
      answer = null;
    }
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      throw new FleetError(`Linear (${host}) did not answer within ${duration(timeoutMs)} while reading ${ref.key}`, {
        hint: 'check your internet connection and try again',
      });
    }
    const why = err.cause?.code ?? err.message;
    throw new FleetError(`could not reach Linear (${host}) to read ${ref.key}: ${why}`, { hint: 'check your internet connection and try again' });
  }
  const first = answer?.errors?.[0];
  const said = first?.extensions?.userPresentableMessage ?? first?.message;
  const type = first?.extensions?.type ?? '';
  if (res.status === 401 || type === 'authentication error' || first?.extensions?.code === 'AUTHENTICATION_ERROR') {
    throw new FleetError(`Linear refused LINEAR_API_KEY${said ? `: ${said}` : ''}`, {
      hint: 'check the key (https://linear.app/settings/account/security) and export LINEAR_API_KEY again',
    });
  }
  if (res.status === 429 || type === 'ratelimited') {
    throw new FleetError(`Linear is rate-limiting this key${said ? `: ${said}` : ''}`, { hint: 'wait a minute and try again' });
  }
  const issue = answer?.data?.issue;
  if (!issue && (!first || /not found/i.test(`${first.message ?? ''} ${said ?? ''}`))) {
    throw new FleetError(`Linear issue ${ref.key} not found`, { hint: 'check the key (team prefix and number), and that your API key\'s workspace can see it' });
  }
  if (!res.ok || first || !issue) {
    throw new FleetError(`Linear answered ${res.status}${said ? `: ${said}` : ' without the issue'} (reading ${ref.key})`, {
      hint: res.status >= 500 ? 'Linear may be having trouble; try again later' : undefined,
    });
  }
  if (typeof issue.identifier !== 'string' || typeof issue.title !== 'string' || typeof issue.url !== 'string') {
    throw new FleetError(`Linear's answer for ${ref.key} lacks identifier, title or url`);
  }
  return {
    provider: 'linear',
    ref: issue.identifier,
    number: issue.identifier,
    title: issue.title,
    body: typeof issue.description === 'string' ? issue.description : '',
    url: issue.url,
    labels: (issue.labels?.nodes ?? []).map((n) => (typeof n?.name === 'string' ? n.name : '')).filter(Boolean),
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    throw new FleetError(`FLEET_LINEAR_URL "${url}" is not a URL`, { hint: 'unset it to use https://api.linear.app/graphql' });
  }
}

function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}
