import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, standIn, waitFor, recordedArgs, writeConfig, type CliResult, type Sandbox } from '../helpers/sandbox.js';
import { linearStandIn, type LinearStandIn } from '../helpers/linear.js';
import { GH_ISSUE_JSON, GH_NOT_FOUND, GH_NOT_LOGGED_IN, GH_OFFLINE } from '../fixtures/gh.js';

/**
 * create / fanout / multi with --template, --var and --issue, through the built CLI: real git, a
 * private tmux server, a stand-in agent that records its arguments, a stand-in gh on PATH that
 * prints what the real gh prints, and a local HTTP stand-in for Linear's API.
 */

let sb: Sandbox;
let repo: string;
let out: string;
let ghDir: string;
let env: Record<string, string | undefined>;

const ISSUE_URL = 'https://github.com/acme/webapp/issues/123';
const ISSUE_BRANCH = 'issue-123-login-button-does-nothing-on-safari-ios';
const ISSUE_BODY = JSON.parse(GH_ISSUE_JSON).body as string;
// What a shell would run, quote or split, if any of it were ever pasted into one.
const HOSTILE = `it's "quoted" $(touch PWNED) \`touch PWNED2\`; echo x | cat\nsecond line\r\n\ttabbed é ü \\n`;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo('webapp');
  out = path.join(sb.dir, 'received');
  fs.mkdirSync(out);
  const rec = standIn(sb, 'rec-agent', `printf '%s\\0' "$@" > "${out}/$FLEET_BRANCH.args"\necho "agent $FLEET_BRANCH ready"\nexec sleep 300`);
  writeConfig(sb, `default_agent = "rec"\n[agents.rec]\ncommand = "${rec}"\n`);
  // The stand-in gh: records its argv, prints the stdout/stderr/exit code a test gives it.
  ghDir = path.join(sb.dir, 'gh');
  fs.mkdirSync(ghDir);
  const ghBin = path.join(sb.dir, 'ghbin');
  fs.mkdirSync(ghBin);
  fs.writeFileSync(
    path.join(ghBin, 'gh'),
    `#!/usr/bin/env bash\nprintf '%s\\0' "$@" >> "${ghDir}/argv"\ncat "${ghDir}/stdout"\ncat "${ghDir}/stderr" >&2\nexit "$(cat "${ghDir}/code")"\n`,
    { mode: 0o755 },
  );
  answerGh({ stdout: GH_ISSUE_JSON });
  env = { PATH: `${ghBin}${path.delimiter}${sb.env.PATH}`, LINEAR_API_KEY: undefined, FLEET_LINEAR_URL: undefined };
});
afterEach(async () => {
  await sb.cleanup();
});

function answerGh(answer: { stdout?: string; stderr?: string; exitCode?: number }): void {
  fs.writeFileSync(path.join(ghDir, 'stdout'), answer.stdout ?? '');
  fs.writeFileSync(path.join(ghDir, 'stderr'), answer.stderr ?? '');
  fs.writeFileSync(path.join(ghDir, 'code'), String(answer.exitCode ?? 0));
}
const ghCalls = (): number => {
  const f = path.join(ghDir, 'argv');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\0').filter((a) => a === 'issue').length : 0;
};

const run = (args: string[], opts: { env?: Record<string, string | undefined>; input?: string } = {}) =>
  fleet(sb, args, { cwd: repo, env: { ...env, ...opts.env }, input: opts.input });

/** The arguments the stand-in agent on `branch` was started with. */
const agentArgs = (branch: string) =>
  waitFor(() => {
    return recordedArgs(path.join(out, `${branch}.args`));
  }, { what: `the agent on "${branch}" to start` });

function template(name: string, text: string): void {
  const dir = path.join(sb.fleetHome, 'templates');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.md`), text);
}

function expectOk(r: CliResult): void {
  if (r.exitCode !== 0) throw new Error(`fleet failed (${r.exitCode}): ${r.stderr}`);
}

/** Nothing made: no worktree, no tmux session, no record, no branch. */
async function expectNothingMade(): Promise<void> {
  const wtRoot = path.join(sb.fleetHome, 'worktrees');
  expect(fs.existsSync(wtRoot) ? fs.readdirSync(wtRoot) : []).toEqual([]);
  expect((await sb.tmux('list-sessions')).exitCode).not.toBe(0); // no server, so no session
  expect(readState(sb).agents).toEqual([]);
  expect(await sb.git(repo, 'branch', '--format=%(refname:short)')).toBe('main');
}

describe('--template: the rendered prompt reaches the agent byte for byte', () => {
  it('create: variables with quotes, $(), backticks and newlines, {{branch}}, {{base}} and {{repo}}', async () => {
    template('review', 'Review {{branch}} from {{base}} in {{repo}}.\nFocus: {{focus}}\n\n{{prompt}}');
    const r = await run(['create', 'rev', '--template', 'review', '--var', `focus=${HOSTILE}`, '--prompt', HOSTILE]);
    expectOk(r);
    expect(await agentArgs('rev')).toEqual([`Review rev from main in webapp.\nFocus: ${HOSTILE}\n\n${HOSTILE}`]);
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'webapp', 'rev', 'PWNED'))).toBe(false);
    expect(readState(sb).agents[0]).toMatchObject({ branch: 'rev', issue: null });

    // {{base}} is --base as given.
    await sb.git(repo, 'branch', 'release-1');
    expectOk(await run(['create', 'rev2', '--base', 'release-1', '--template', 'review', '--var', 'focus=x', '-p', 'y']));
    expect((await agentArgs('rev2'))[0]).toMatch(/^Review rev2 from release-1 in webapp\./);
  });

  it("fanout: each agent's own {{branch}}; multi: each pair's text is its {{prompt}}, plain branches take the template alone", async () => {
    template('t', '[{{branch}}] {{note}}\n{{prompt}}');
    expectOk(await run(['fanout', '2', 'fx', '--template', 't', '--var', `note=${HOSTILE}`, '-p', 'same']));
    expect(await agentArgs('fx-1')).toEqual([`[fx-1] ${HOSTILE}\nsame`]);
    expect(await agentArgs('fx-2')).toEqual([`[fx-2] ${HOSTILE}\nsame`]);

    expectOk(await run(['multi', `api:${HOSTILE}`, 'ui:Check "the" UI', '--template', 't', '--var', 'note=n', '--batch', 'mx']));
    expect(await agentArgs('api')).toEqual([`[api] n\n${HOSTILE}`]);
    expect(await agentArgs('ui')).toEqual(['[ui] n\nCheck "the" UI']);

    template('whole', 'Do {{task}} on {{branch}}');
    expectOk(await run(['multi', 'p-1', 'p-2', '--template', 'whole', '--var', 'task=it', '--batch', 'my']));
    expect(await agentArgs('p-1')).toEqual(['Do it on p-1']);
    expect(await agentArgs('p-2')).toEqual(['Do it on p-2']);
  });

  it("--prompt-file with --template: the file's text, trailing newline and all, is {{prompt}}", async () => {
    template('wrap', 'Before\n{{prompt}}After');
    fs.writeFileSync(path.join(repo, 'task.md'), `${HOSTILE}\n`);
    expectOk(await run(['create', 'pf', '--template', 'wrap', '--prompt-file', 'task.md']));
    expect(await agentArgs('pf')).toEqual([`Before\n${HOSTILE}\nAfter`]);
    expectOk(await run(['create', 'pf2', '--template', 'wrap', '--prompt-file', '-'], { input: 'from stdin\n' }));
    expect(await agentArgs('pf2')).toEqual(['Before\nfrom stdin\nAfter']);
  });

  it('problems with the options are refused before anything is made (usage errors exit 2; an unknown template, like an unknown agent, 1)', async () => {
    template('needs', '{{focus}} {{prompt}}');
    template('plain', 'no prompt here');
    const cases: Array<[string[], RegExp, number?]> = [
      [['create', 'a', '--template', 'needs', '-p', 'x'], /^error: template "needs" needs \{\{focus\}\}, which is not set\nhint: add --var focus=VALUE/],
      [['create', 'a', '--template', 'nope', '-p', 'x'], /^error: no template "nope"\nhint: templates: needs, plain; /, 1],
      [['create', 'a', '--template', 'plain', '-p', 'x'], /^error: template "plain" has no \{\{prompt\}\}, so the --prompt text would be lost\nhint: drop --prompt, or add/],
      [['multi', 'a:x', '--template', 'plain'], /^error: template "plain" has no \{\{prompt\}\}, so the prompt of "a:…" would be lost\nhint: drop the text after "a:"/],
      [['multi', 'a:x', 'b', '--template', 'needs', '--var', 'focus=f'], /^error: template "needs" needs \{\{prompt\}\}, which is not set\nhint: add --prompt TEXT/],
      [['fanout', '2', 'f', '--var', 'a=b', '-p', 'x'], /^error: --var needs --template/],
      [['create'], /^error: missing <branch>\nhint: .*--issue 123/],
      [['create', 'a'], /^error: missing --prompt\nhint: e\.g\. fleet create a --prompt .*--template NAME, --issue REF\)$/],
      [['create', 'bad..name', '--issue', '123'], /^error: invalid branch name "bad\.\.name"/],
      [['create', '--issue', 'acme/webapp#123'], /^error: --issue "acme\/webapp#123" is not an issue reference/],
    ];
    for (const [args, error, code] of cases) {
      const r = await run(args);
      expect(r.stderr, args.join(' ')).toMatch(error);
      expect(r.exitCode, args.join(' ')).toBe(code ?? 2);
    }
    // The 128 KiB argument limit applies to the rendered prompt, not to what was typed.
    template('twice', '{{big}}{{big}}');
    const big = await run(['create', 'big', '--template', 'twice', '--var', `big=${'x'.repeat(70_000)}`]);
    expect(big.stderr).toMatch(/^error: the prompt is 140000 bytes; a program can be given at most 131071 bytes/);
    expect(big.exitCode).toBe(2);
    expect(ghCalls()).toBe(0);
    await expectNothingMade();
  });
});

describe('--issue through the stand-in gh', () => {
  it('create: branch issue-123-<slug>, the issue as the prompt, its URL in the record, list and list --json', async () => {
    const r = await run(['create', '--issue', '123']);
    expectOk(r);
    expect(r.stdout).toContain(`created ${ISSUE_BRANCH} (rec, new branch from main)`);
    expect(r.stdout).toContain(`  issue     ${ISSUE_URL}`);
    expect(fs.readFileSync(path.join(ghDir, 'argv'), 'utf8').split('\0').slice(0, -1)).toEqual(['issue', 'view', '123', '--json', 'number,title,body,url,labels']);
    expect(await agentArgs(ISSUE_BRANCH)).toEqual([
      `GitHub issue #123: Login button does nothing on Safari (iOS 17.2)\n${ISSUE_URL}\nLabels: bug, good first issue\n\n${ISSUE_BODY}`,
    ]);
    expect(readState(sb).agents).toEqual([expect.objectContaining({ branch: ISSUE_BRANCH, issue: ISSUE_URL })]);

    // Another agent without an issue: the column shows "-" for it.
    expectOk(await run(['create', 'plain', '-p', 'x']));
    const json = JSON.parse((await run(['list', '--json'])).stdout) as Array<{ branch: string; issue: string | null }>;
    expect(json.map((a) => [a.branch, a.issue])).toEqual([[ISSUE_BRANCH, ISSUE_URL], ['plain', null]]);
    const table = (await run(['list'])).stdout.split('\n');
    expect(table[0]).toMatch(/^BRANCH +ISSUE +BATCH /);
    expect(table[1]).toMatch(new RegExp(`^${ISSUE_BRANCH} +#123 +- +rec `));
    expect(table[2]).toMatch(/^plain +- +- +rec /);
  });

  it('create with a branch, a template and {{issue.*}}; fanout: the issue branch as prefix and batch, every record keeps the URL', async () => {
    template('fix', 'Fix #{{issue.number}} "{{issue.title}}" ({{issue.labels}}) on {{branch}}\n{{issue.body}}\n{{issue.url}}');
    expectOk(await run(['create', 'fix-login', '--issue', '#123', '--template', 'fix']));
    expect(await agentArgs('fix-login')).toEqual([
      `Fix #123 "Login button does nothing on Safari (iOS 17.2)" (bug, good first issue) on fix-login\n${ISSUE_BODY}\n${ISSUE_URL}`,
    ]);
    expect(readState(sb).agents[0]).toMatchObject({ branch: 'fix-login', issue: ISSUE_URL });

    const f = await run(['fanout', '2', '--issue', ISSUE_URL, '--template', 'fix']);
    expectOk(f);
    expect(f.stdout).toMatch(new RegExp(`^batch ${ISSUE_BRANCH}: 2 agents started$`, 'm'));
    for (const n of [1, 2]) {
      expect((await agentArgs(`${ISSUE_BRANCH}-${n}`))[0]).toMatch(new RegExp(`^Fix #123 .* on ${ISSUE_BRANCH}-${n}\n`));
    }
    const fanned = readState(sb).agents.filter((a) => a.batch_id === ISSUE_BRANCH);
    expect(fanned.map((a) => [a.branch, a.issue])).toEqual([
      [`${ISSUE_BRANCH}-1`, ISSUE_URL],
      [`${ISSUE_BRANCH}-2`, ISSUE_URL],
    ]);
    expect(fs.readFileSync(path.join(ghDir, 'argv'), 'utf8')).toContain(`\0${ISSUE_URL}\0`);
  });

  it.each([
    ['not logged in', GH_NOT_LOGGED_IN, /^error: gh is not logged in to GitHub\nhint: gh auth login/],
    ['no such issue', GH_NOT_FOUND(123), /^error: issue #123 not found on GitHub .*\nhint: check the number/],
    ['no network', GH_OFFLINE, /^error: could not reach GitHub to read issue #123 \(gh: error connecting to api\.github\.com\)\nhint: check your internet connection/],
  ])('%s: one clear error, nothing made (create and fanout)', async (_what, answer, error) => {
    answerGh(answer);
    for (const args of [['create', '--issue', '123'], ['fanout', '3', '--issue', '123']]) {
      const r = await run(args);
      expect(r.stderr).toMatch(error);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe('');
    }
    await expectNothingMade();
  });

  it('gh not installed: says how to install it, nothing made', async () => {
    // A PATH with only what fleet itself needs: git, tmux and a shell; no gh wherever it may be installed.
    const tools = path.join(sb.dir, 'tools');
    fs.mkdirSync(tools);
    for (const t of ['git', 'tmux', 'bash', 'sh', 'env', 'ps']) {
      const where = (await execa('bash', ['-c', `command -v ${t}`])).stdout.trim();
      fs.symlinkSync(where, path.join(tools, t));
    }
    const r = await run(['create', '--issue', '123'], { env: { PATH: tools } });
    expect(r.stderr).toBe('error: --issue #123 needs the GitHub CLI (gh), which is not on PATH\nhint: install it (https://cli.github.com: brew install gh, or apt-get install gh), then gh auth login');
    expect(r.exitCode).toBe(1);
    await expectNothingMade();
  });
});

describe('--issue through the Linear stand-in', () => {
  let linear: LinearStandIn;

  beforeEach(async () => {
    linear = await linearStandIn(200, {
      data: {
        issue: {
          identifier: 'ENG-42',
          title: 'Fix the login redirect',
          description: 'After login we land on `/undefined`: $(next)\n',
          url: 'https://linear.app/acme/issue/ENG-42/fix-the-login-redirect',
          labels: { nodes: [{ name: 'Bug' }] },
        },
      },
    });
    env = { ...env, LINEAR_API_KEY: 'lin_api_test', FLEET_LINEAR_URL: linear.url };
  });
  afterEach(async () => {
    await linear.close();
  });

  it('create: branch eng-42-<slug>, the issue as the prompt, the URL recorded; a missing issue makes nothing', async () => {
    const r = await run(['create', '--issue', 'eng-42']);
    expectOk(r);
    expect(linear.requests.map((r) => [r.headers.authorization, r.body.variables])).toEqual([['lin_api_test', { id: 'ENG-42' }]]);
    expect(await agentArgs('eng-42-fix-the-login-redirect')).toEqual([
      'Linear issue ENG-42: Fix the login redirect\nhttps://linear.app/acme/issue/ENG-42/fix-the-login-redirect\nLabels: Bug\n\nAfter login we land on `/undefined`: $(next)',
    ]);
    expect(readState(sb).agents).toEqual([expect.objectContaining({ branch: 'eng-42-fix-the-login-redirect', issue: 'https://linear.app/acme/issue/ENG-42/fix-the-login-redirect' })]);
    expect((await run(['list'])).stdout.split('\n')[1]).toMatch(/^eng-42-fix-the-login-redirect +ENG-42 /);

    linear.answer(200, { data: null, errors: [{ message: 'Entity not found: Issue', extensions: { userPresentableMessage: 'Could not find referenced Issue.' } }] });
    const missing = await run(['fanout', '2', '--issue', 'ENG-999']);
    expect(missing.stderr).toMatch(/^error: Linear issue ENG-999 not found\nhint: /);
    expect(missing.exitCode).toBe(1);
    expect(readState(sb).agents).toHaveLength(1);
  });
});
