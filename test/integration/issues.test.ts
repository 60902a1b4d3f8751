import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchIssue } from '../../src/ops/issues.js';
import { preparePrompt } from '../../src/ops/prompt-source.js';
import { run } from '../../src/process/runner.js';
import { FleetError } from '../../src/errors.js';
import { linearStandIn, type LinearStandIn } from '../helpers/linear.js';
import { GH_BAD_TOKEN, GH_ISSUE_JSON, GH_NOT_FOUND, GH_NOT_LOGGED_IN, GH_OFFLINE } from '../fixtures/gh.js';

let dir: string;
let repo: string;
let bin: string;
let ghDir: string;
let env: NodeJS.ProcessEnv;

/**
 * A stand-in gh on PATH: prints exactly the stdout, stderr and exit code the test gives it (taken
 * from what the real gh prints), and records its argv and working directory.
 */
function standInGh(answer: { stdout?: string; stderr?: string; exitCode?: number }): void {
  fs.writeFileSync(path.join(ghDir, 'stdout'), answer.stdout ?? '');
  fs.writeFileSync(path.join(ghDir, 'stderr'), answer.stderr ?? '');
  fs.writeFileSync(path.join(ghDir, 'code'), String(answer.exitCode ?? 0));
}
const ghArgv = (): string[] | null => {
  const f = path.join(ghDir, 'argv');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\0').slice(0, -1) : null;
};

async function failure(p: Promise<unknown>): Promise<FleetError> {
  try {
    await p;
  } catch (e) {
    return e as FleetError;
  }
  throw new Error('expected a failure');
}

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-iss-')));
  repo = path.join(dir, 'repo');
  bin = path.join(dir, 'bin');
  ghDir = path.join(dir, 'gh');
  for (const d of [repo, bin, ghDir]) fs.mkdirSync(d);
  fs.writeFileSync(
    path.join(bin, 'gh'),
    `#!/usr/bin/env bash
printf '%s\\0' "$@" > "${ghDir}/argv"
pwd > "${ghDir}/cwd"
printf '%s' "$GH_PROMPT_DISABLED,$NO_COLOR,\${GH_FORCE_TTY-unset}" > "${ghDir}/env"
cat "${ghDir}/stdout"
cat "${ghDir}/stderr" >&2
exit "$(cat "${ghDir}/code")"
`,
    { mode: 0o755 },
  );
  env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, GH_FORCE_TTY: '1', LINEAR_API_KEY: undefined, FLEET_LINEAR_URL: undefined };
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('fetchIssue from GitHub through gh', () => {
  it('a number: gh issue view N --json … in the repository, parsed from gh\'s own output', async () => {
    standInGh({ stdout: GH_ISSUE_JSON });
    const issue = await fetchIssue('#123', { run, repoDir: repo, env });
    expect(ghArgv()).toEqual(['issue', 'view', '123', '--json', 'number,title,body,url,labels']);
    expect(fs.readFileSync(path.join(ghDir, 'cwd'), 'utf8').trim()).toBe(repo);
    // Never a pager, a colour or a question, whatever the user's environment says.
    expect(fs.readFileSync(path.join(ghDir, 'env'), 'utf8')).toBe('1,1,unset');
    expect(issue).toMatchObject({ provider: 'github', ref: '#123', number: '123', url: 'https://github.com/acme/webapp/issues/123', labels: ['bug', 'good first issue'] });
    expect(issue.body).toBe('Steps to reproduce:\r\n1. Open /login in Safari\r\n2. Click <b>Sign in</b> & wait\r\n\r\nExpected: `it\'s` "logged in" — $(not run)');
  });

  it('a URL is passed to gh as the URL (it names its repository)', async () => {
    standInGh({ stdout: GH_ISSUE_JSON });
    await fetchIssue('https://github.com/acme/webapp/issues/123#issuecomment-9', { run, repoDir: repo, env });
    expect(ghArgv()).toEqual(['issue', 'view', 'https://github.com/acme/webapp/issues/123', '--json', 'number,title,body,url,labels']);
  });

  it('gh not installed: says how to install it, runs nothing', async () => {
    const e = await failure(fetchIssue('123', { run, repoDir: repo, env: { ...env, PATH: path.join(dir, 'empty') } }));
    expect(e.message).toBe('--issue #123 needs the GitHub CLI (gh), which is not on PATH');
    expect(e.hint).toMatch(/https:\/\/cli\.github\.com/);
    expect(ghArgv()).toBeNull();
  });

  it.each([
    ['not logged in', GH_NOT_LOGGED_IN, 'gh is not logged in to GitHub', /gh auth login/],
    ['a rejected token', GH_BAD_TOKEN, 'gh is not logged in to GitHub', /gh auth login/],
    ['no such issue', GH_NOT_FOUND(123), "issue #123 not found on GitHub (in the repository gh picked from this clone's remotes)", /gh issue list/],
    ['no network', GH_OFFLINE, 'could not reach GitHub to read issue #123 (gh: error connecting to api.github.com)', /internet connection/],
  ])('%s: one clear error and a hint', async (_what, answer, message, hint) => {
    standInGh(answer);
    const e = await failure(fetchIssue('123', { run, repoDir: repo, env }));
    expect(e).toBeInstanceOf(FleetError);
    expect(e.message).toBe(message);
    expect(e.hint).toMatch(hint);
    expect(e.exitCode).toBe(1);
  });

  it('a gh that hangs is stopped after the timeout', async () => {
    fs.writeFileSync(path.join(bin, 'gh'), '#!/usr/bin/env bash\nexec sleep 30\n', { mode: 0o755 });
    const e = await failure(fetchIssue('123', { run, repoDir: repo, env, timeoutMs: 300 }));
    expect(e.message).toBe('gh did not answer within 300 ms while reading issue #123');
  });
});

describe('fetchIssue from Linear', () => {
  let linear: LinearStandIn;

  const linearIssue = {
    identifier: 'ENG-42',
    title: 'Fix the login redirect',
    description: 'After login we land on `/undefined`.\n\n```js\nlocation.href = `${next}`\n```\n',
    url: 'https://linear.app/acme/issue/ENG-42/fix-the-login-redirect',
    labels: { nodes: [{ name: 'Bug' }, { name: 'Frontend' }] },
  };

  beforeEach(async () => {
    linear = await linearStandIn(200, { data: { issue: linearIssue } });
    env = { ...env, LINEAR_API_KEY: 'lin_api_secret123', FLEET_LINEAR_URL: linear.url };
  });
  afterEach(async () => {
    await linear.close();
  });

  it('asks issue(id: KEY) with the key in the Authorization header, and reads the answer', async () => {
    const issue = await fetchIssue('https://linear.app/acme/issue/ENG-42/fix-the-login-redirect', { run, repoDir: repo, env });
    expect(linear.requests).toHaveLength(1);
    expect(linear.requests[0]!.headers.authorization).toBe('lin_api_secret123');
    expect(linear.requests[0]!.headers['content-type']).toBe('application/json');
    expect(linear.requests[0]!.body.variables).toEqual({ id: 'ENG-42' });
    expect(linear.requests[0]!.body.query).toMatch(/issue\(id: \$id\) \{ identifier title description url labels \{ nodes \{ name \} \} \}/);
    expect(issue).toEqual({
      provider: 'linear',
      ref: 'ENG-42',
      number: 'ENG-42',
      title: 'Fix the login redirect',
      body: linearIssue.description,
      url: linearIssue.url,
      labels: ['Bug', 'Frontend'],
    });
  });

  it('no LINEAR_API_KEY: says where to get one, asks nothing', async () => {
    const e = await failure(fetchIssue('ENG-42', { run, repoDir: repo, env: { ...env, LINEAR_API_KEY: '' } }));
    expect(e.message).toBe('--issue ENG-42 needs LINEAR_API_KEY (a Linear personal API key) in the environment');
    expect(e.hint).toMatch(/linear\.app\/settings/);
    expect(linear.requests).toHaveLength(0);
  });

  it('a key Linear refuses', async () => {
    linear.answer(400, {
      errors: [
        {
          message: 'Authentication required, not authenticated',
          extensions: { type: 'authentication error', code: 'AUTHENTICATION_ERROR', statusCode: 401, userError: true, userPresentableMessage: 'You need to authenticate to access this operation.' },
        },
      ],
    });
    const e = await failure(fetchIssue('ENG-42', { run, repoDir: repo, env }));
    expect(e.message).toBe('Linear refused LINEAR_API_KEY: You need to authenticate to access this operation.');
    expect(e.message).not.toContain('secret123');
  });

  it('an issue that does not exist', async () => {
    linear.answer(200, {
      errors: [
        {
          message: 'Entity not found: Issue',
          path: ['issue'],
          extensions: { type: 'invalid input', code: 'INPUT_ERROR', statusCode: 400, userError: true, userPresentableMessage: 'Could not find referenced Issue.' },
        },
      ],
      data: null,
    });
    const e = await failure(fetchIssue('ENG-999', { run, repoDir: repo, env }));
    expect(e.message).toBe('Linear issue ENG-999 not found');
  });

  it('Linear unreachable, and Linear not answering in time', async () => {
    const port = linear.port;
    await linear.close();
    const down = await failure(fetchIssue('ENG-42', { run, repoDir: repo, env }));
    expect(down.message).toBe(`could not reach Linear (127.0.0.1:${port}) to read ENG-42: ECONNREFUSED`);
    expect(down.hint).toMatch(/internet connection/);

    const silent = http.createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const slowEnv = { ...env, FLEET_LINEAR_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/graphql` };
    const slow = await failure(fetchIssue('ENG-42', { run, repoDir: repo, env: slowEnv, timeoutMs: 300 })).finally(async () => {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    });
    expect(slow.message).toMatch(/^Linear \(127\.0\.0\.1:\d+\) did not answer within 300 ms while reading ENG-42$/);
  });
});

describe('preparePrompt (what create/fanout/multi call)', () => {
  const ctx = () => ({ run, repo: { root: repo, name: 'webapp' }, env: { ...env, AI_FLEET_HOME: path.join(dir, 'fleet') }, warn: (m: string) => warnings.push(m) });
  let warnings: string[];
  beforeEach(() => {
    warnings = [];
  });

  it('--issue with a template: the issue branch, and each agent its own prompt, byte for byte', async () => {
    standInGh({ stdout: GH_ISSUE_JSON });
    fs.mkdirSync(path.join(dir, 'fleet', 'templates'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'fleet', 'templates', 'fix.md'), 'Fix #{{issue.number}} on {{branch}} from {{base}} in {{repo}}.\n{{issue.body}}\nNote: {{note}}\n{{prompt}}');
    const note = `it's "this" $(touch /tmp/pwned) \`id\`\nsecond line`;
    const src = await preparePrompt({ template: 'fix', var: [`note=${note}`], issue: '123', prompt: 'Be brief.' }, ctx());
    expect(src.defaultBranch).toBe('issue-123-login-button-does-nothing-on-safari-ios');
    expect(src.issue?.url).toBe('https://github.com/acme/webapp/issues/123');
    expect(src.render({ branch: `${src.defaultBranch}-2`, base: 'main' })).toBe(
      `Fix #123 on issue-123-login-button-does-nothing-on-safari-ios-2 from main in webapp.\n${src.issue!.body}\nNote: ${note}\nBe brief.`,
    );
    expect(warnings).toEqual([]);
  });

  it('--issue alone: the issue laid out as the prompt', async () => {
    standInGh({ stdout: GH_ISSUE_JSON });
    const src = await preparePrompt({ issue: '#123' }, ctx());
    expect(src.render({ branch: 'x', base: 'main' })).toMatch(/^GitHub issue #123: Login button does nothing on Safari \(iOS 17\.2\)\nhttps:\/\/github\.com\/acme\/webapp\/issues\/123\nLabels: bug, good first issue\n\nSteps to reproduce:/);
  });

  it('every usage problem is reported before gh is asked', async () => {
    standInGh({ stdout: GH_ISSUE_JSON });
    fs.mkdirSync(path.join(dir, 'fleet', 'templates'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'fleet', 'templates', 'fix.md'), '{{issue.title}} {{area}}');
    expect((await failure(preparePrompt({ template: 'fix', issue: '123' }, ctx()))).message).toBe('template "fix" needs {{area}}, which is not set');
    expect((await failure(preparePrompt({ template: 'nope', issue: '123' }, ctx()))).message).toBe('no template "nope"');
    expect((await failure(preparePrompt({ var: ['x'], issue: '123' }, ctx()))).message).toMatch(/not key=value/);
    expect((await failure(preparePrompt({ issue: 'acme/app#1' }, ctx()))).exitCode).toBe(2);
    expect(ghArgv()).toBeNull();
  });

  it('warns about a --var the template never uses', async () => {
    fs.mkdirSync(path.join(dir, 'fleet', 'templates'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'fleet', 'templates', 'r.md'), '{{prompt}} {{focus}}');
    const src = await preparePrompt({ template: 'r', var: ['focus=a', 'fcous=b'], prompt: 'p' }, ctx());
    expect(src.render({ branch: 'b', base: 'main' })).toBe('p a');
    expect(src.defaultBranch).toBeNull();
    expect(warnings).toEqual(['--var fcous is not used by template "r" (it uses: prompt, focus)']);
  });

  it('multi: checked with the first pair\'s text, then each pair\'s own text is its {{prompt}}', async () => {
    fs.mkdirSync(path.join(dir, 'fleet', 'templates'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'fleet', 'templates', 'r.md'), '[{{branch}}] {{prompt}}');
    const pairs = [['api', 'Check the API'], ['ui', 'Check "the" UI\n$(x)']] as const;
    const src = await preparePrompt({ template: 'r', prompt: pairs[0][1] }, ctx());
    expect(pairs.map(([branch, prompt]) => src.render({ branch, base: 'main', prompt }))).toEqual(['[api] Check the API', '[ui] Check "the" UI\n$(x)']);
  });
});
