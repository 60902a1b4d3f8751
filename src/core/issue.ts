import { FleetError, UsageError } from '../errors.js';
import { firstLine } from './format.js';
import { branchNameProblem } from './names.js';

/** An issue an agent starts from, whichever tracker it came from. */
export interface Issue {
  provider: 'github' | 'linear';
  /** "#123" or "ENG-42": how the issue is named in messages. */
  ref: string;
  /** "123" (GitHub) or "ENG-42" (Linear): `{{issue.number}}`. */
  number: string;
  title: string;
  body: string;
  url: string;
  labels: string[];
}

/** What `--issue REF` names, before anything is asked of gh or Linear. */
export type IssueRef =
  | { provider: 'github'; number: number; url: string | null }
  | { provider: 'linear'; key: string };

const GITHUB_URL = /^\/([^/]+)\/([^/]+)\/issues\/(\d+)\/?$/;
const LINEAR_URL = /^\/[^/]+\/issue\/([A-Za-z][A-Za-z0-9]*-\d+)(?:\/[^/]*)?\/?$/;
const LINEAR_KEY = /^([A-Za-z][A-Za-z0-9]{0,9})-(\d+)$/;

const REF_FORMS = 'use 123, #123, a GitHub issue URL (https://github.com/OWNER/REPO/issues/123), a Linear key (ENG-42) or a Linear issue URL';

/**
 * Parse `--issue REF`: `123`, `#123`, `https://github.com/o/r/issues/123` (any host gh knows:
 * GitHub Enterprise URLs look the same), `ENG-42`, `https://linear.app/team/issue/ENG-42/slug`.
 */
export function parseIssueRef(input: string): IssueRef {
  const s = input.trim();
  const num = /^#?(\d+)$/.exec(s);
  if (num) {
    const n = Number(num[1]);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--issue "${input}" is not an issue number`, REF_FORMS);
    return { provider: 'github', number: n, url: null };
  }
  if (/^https?:\/\//i.test(s)) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new UsageError(`--issue "${input}" is not a valid URL`, REF_FORMS);
    }
    if (u.hostname === 'linear.app' || u.hostname.endsWith('.linear.app')) {
      const m = LINEAR_URL.exec(u.pathname);
      if (!m) throw new UsageError(`--issue "${input}" is not a Linear issue URL`, 'e.g. https://linear.app/acme/issue/ENG-42/fix-login');
      return { provider: 'linear', key: m[1]!.toUpperCase() };
    }
    const m = GITHUB_URL.exec(u.pathname);
    if (!m) {
      const pull = /\/pull\/\d+/.test(u.pathname);
      throw new UsageError(
        `--issue "${input}" is not ${pull ? 'an issue (it is a pull request)' : 'a GitHub issue URL'}`,
        pull ? 'fleet starts agents from issues; give the issue the pull request closes' : 'e.g. https://github.com/OWNER/REPO/issues/123',
      );
    }
    const n = Number(m[3]);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--issue "${input}" has no valid issue number`, REF_FORMS);
    // gh gets a clean URL: no query, no #issuecomment-… fragment.
    return { provider: 'github', number: n, url: `${u.protocol}//${u.host}/${m[1]}/${m[2]}/issues/${n}` };
  }
  const key = LINEAR_KEY.exec(s);
  if (key) return { provider: 'linear', key: `${key[1]!.toUpperCase()}-${Number(key[2])}` };
  throw new UsageError(`--issue "${input}" is not an issue reference`, REF_FORMS);
}

export function issueRefLabel(ref: IssueRef): string {
  return ref.provider === 'github' ? `#${ref.number}` : ref.key;
}

/** An issue's URL as a list shows it: `#123` (GitHub), `ENG-42` (Linear); the URL itself when it is neither. */
export function shortIssueLabel(url: string): string {
  try {
    return issueRefLabel(parseIssueRef(url));
  } catch {
    return url;
  }
}

const SLUG_MAX = 40;

/**
 * A branch-name part from a title: lowercase ASCII letters and digits joined by "-", accents
 * folded (é → e), at most 40 characters, cut at a word boundary. Always passes
 * `git check-ref-format --branch` (no dots, slashes or leading "-" can survive).
 */
export function slugify(text: string, max = SLUG_MAX): string {
  const words = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = '';
  for (const w of words) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > max) {
      // A first word longer than the limit is cut; later words are dropped whole.
      if (!slug) slug = w.slice(0, max);
      break;
    }
    slug = next;
  }
  return slug;
}

/** `issue-123-short-title-slug` (GitHub) or `eng-42-short-title-slug` (Linear). */
export function branchForIssue(issue: Pick<Issue, 'provider' | 'number' | 'title'>): string {
  const head = issue.provider === 'github' ? `issue-${issue.number}` : slugify(issue.number, 64);
  const slug = slugify(issue.title);
  const branch = slug ? `${head}-${slug}` : head;
  const problem = branchNameProblem(branch);
  // Cannot happen with the characters slugify keeps; a guard so a future change cannot make an invalid ref.
  if (problem) throw new FleetError(`internal: branch "${branch}" made from ${issue.number} is invalid: ${problem}`);
  return branch;
}

/** The prompt when no template is given: the issue's title, URL, labels and body, readable by a person or an agent. */
export function defaultIssuePrompt(issue: Issue, prompt?: string): string {
  const kind = issue.provider === 'github' ? 'GitHub issue' : 'Linear issue';
  const lines = [`${kind} ${issue.ref}: ${issue.title}`, issue.url];
  if (issue.labels.length > 0) lines.push(`Labels: ${issue.labels.join(', ')}`);
  lines.push('', issue.body.trim() === '' ? '(no description)' : issue.body.replace(/\s+$/, ''));
  const text = lines.join('\n');
  return prompt !== undefined && prompt !== '' ? `${prompt}\n\n${text}` : text;
}

/**
 * `gh issue view REF --json number,title,body,url,labels` prints one JSON object (Go's encoder:
 * keys sorted, labels as objects with id, name, description and color).
 */
export function parseGhIssueJson(stdout: string, ref: string): Issue {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new FleetError(`gh printed something that is not JSON for issue ${ref}: ${firstLine(stdout).slice(0, 120) || '(nothing)'}`, {
      hint: 'run gh issue view ' + ref.replace(/^#/, '') + ' --json number,title,body,url,labels yourself to see why',
    });
  }
  const d = doc as Record<string, unknown>;
  const labels = Array.isArray(d.labels) ? d.labels : null;
  if (typeof d?.number !== 'number' || typeof d.title !== 'string' || typeof d.url !== 'string' || labels === null) {
    throw new FleetError(`gh's answer for issue ${ref} lacks number, title, url or labels`, { hint: 'update gh (gh --version; https://cli.github.com)' });
  }
  return {
    provider: 'github',
    ref: `#${d.number}`,
    number: String(d.number),
    title: d.title,
    body: typeof d.body === 'string' ? d.body : '',
    url: d.url,
    labels: labels.map((l) => (l && typeof l === 'object' && typeof (l as { name?: unknown }).name === 'string' ? (l as { name: string }).name : '')).filter(Boolean),
  };
}

/**
 * Turn a failed `gh issue view` into one clear error. The texts are gh's own (cli/cli):
 * not logged in → exit 4 and "To get started with GitHub CLI, please run:  gh auth login";
 * a bad token → "HTTP 401: Bad credentials … Try authenticating with:  gh auth login";
 * no such issue → "GraphQL: Could not resolve to an issue or pull request with the number of N. (repository.issue)"
 * (newer gh: "… to an Issue with the number of N …"); offline → "error connecting to api.github.com".
 */
export function ghIssueError(ref: string, result: { exitCode: number; stderr: string; stdout: string }, viaRemotes: boolean): FleetError {
  const err = result.stderr;
  const said = firstLine(err) || firstLine(result.stdout) || `exit code ${result.exitCode}`;
  if (result.exitCode === 4 || /please run:\s+gh auth login|Try authenticating with|HTTP 401|Bad credentials/i.test(err)) {
    return new FleetError('gh is not logged in to GitHub', { hint: 'gh auth login (or set GH_TOKEN), then try again' });
  }
  if (/Could not resolve to a Repository/i.test(err)) {
    return new FleetError(`GitHub has no repository for issue ${ref} (gh: ${said})`, { hint: 'check the URL, or that your gh account can see the repository (gh auth status)' });
  }
  if (/Could not resolve to an? (issue|Issue|PullRequest)/i.test(err)) {
    return new FleetError(`issue ${ref} not found on GitHub${viaRemotes ? " (in the repository gh picked from this clone's remotes)" : ''}`, {
      hint: 'check the number (gh issue list shows the open ones), or give the issue URL',
    });
  }
  if (/has disabled issues/i.test(err)) {
    return new FleetError(said, { hint: 'give the URL of an issue in another repository: --issue https://github.com/OWNER/REPO/issues/N' });
  }
  if (/error connecting to|dial tcp|no such host|i\/o timeout|connection refused|TLS handshake timeout|network is unreachable/i.test(err)) {
    return new FleetError(`could not reach GitHub to read issue ${ref} (gh: ${said})`, { hint: 'check your internet connection (or https://githubstatus.com) and try again' });
  }
  if (/none of the git remotes|no git remotes found|could not determine base repo|not a git repository/i.test(err)) {
    return new FleetError(`gh cannot tell which GitHub repository issue ${ref} belongs to (gh: ${said})`, {
      hint: 'give the issue URL instead: --issue https://github.com/OWNER/REPO/issues/' + ref.replace(/^#/, ''),
    });
  }
  return new FleetError(`gh issue view ${ref.replace(/^#/, '')} failed: ${said}`, { hint: 'run it yourself with --json number,title,body,url,labels to see the whole message' });
}
