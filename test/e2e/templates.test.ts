import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
};

beforeEach(async () => {
  sb = await makeSandbox();
  // As fleet makes it: a home others can read would be tightened with a warning on stderr.
  fs.mkdirSync(sb.fleetHome, { mode: 0o700 });
  repo = await sb.repo('app');
});
afterEach(async () => {
  await sb.cleanup();
});

describe('fleet templates', () => {
  it('none yet: says so, and how to make one', async () => {
    const r = await fleet(sb, ['templates'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('no templates');
    expect(r.stderr).toBe(
      `hint: write one to ${sb.fleetHome}/templates/NAME.md (or .fleet/templates/NAME.md to share it through the repository), with {{prompt}}, {{branch}}, {{issue.title}}, {{issue.body}} or your own {{name}} where values go`,
    );
    expect(JSON.parse((await fleet(sb, ['templates', '--json'], { cwd: repo })).stdout)).toEqual([]);
  });

  it('lists yours and the repository\'s with their variables; yours hides the repository\'s of the same name', async () => {
    write(path.join(sb.fleetHome, 'templates', 'review.md'), '# Review {{ branch }}\nFocus on {{focus}}.\n\n{{prompt}}\n\\{{not-a-variable}}\n');
    write(path.join(repo, '.fleet', 'templates', 'from-issue.md'), 'Fix {{issue.title}} ({{issue.url}})\n\n{{issue.body}}\n');
    write(path.join(repo, '.fleet', 'templates', 'review.md'), 'the repository review of {{area}}');
    const r = await fleet(sb, ['templates'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(r.stdout.split('\n')).toEqual([
      expect.stringMatching(/^NAME {8}FROM +VARIABLES$/),
      expect.stringMatching(new RegExp(`^review {6}${esc(sb.fleetHome)}/templates/review\\.md +branch, focus\\*, prompt$`)),
      expect.stringMatching(/^from-issue {2}\.fleet\/templates\/from-issue\.md +issue\.title, issue\.url, issue\.body$/),
      expect.stringMatching(/^review {6}\.fleet\/templates\/review\.md \(hidden by yours; use repo:review\) +area\*$/),
    ]);
    expect(r.stderr).toBe('* set with --var NAME=VALUE\nuse: fleet create BRANCH --template review --var focus=… --prompt "…"');

    const j = await fleet(sb, ['templates', '--json'], { cwd: repo });
    expect(j.stderr).toBe('');
    expect(JSON.parse(j.stdout)).toEqual([
      { name: 'review', source: 'user', path: path.join(sb.fleetHome, 'templates', 'review.md'), variables: ['branch', 'focus', 'prompt'], vars_needed: ['focus'], shadowed: false },
      { name: 'from-issue', source: 'repository', path: path.join(repo, '.fleet', 'templates', 'from-issue.md'), variables: ['issue.title', 'issue.url', 'issue.body'], vars_needed: [], shadowed: false },
      { name: 'review', source: 'repository', path: path.join(repo, '.fleet', 'templates', 'review.md'), variables: ['area'], vars_needed: ['area'], shadowed: true },
    ]);
  });

  it('warns about a symlinked repository template and does not list it', async () => {
    write(path.join(sb.home, 'secret.md'), 'secret {{x}}');
    fs.mkdirSync(path.join(repo, '.fleet', 'templates'), { recursive: true });
    fs.symlinkSync(path.join(sb.home, 'secret.md'), path.join(repo, '.fleet', 'templates', 'evil.md'));
    write(path.join(repo, '.fleet', 'templates', 'ok.md'), '{{prompt}}');
    const r = await fleet(sb, ['templates', '--json'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).map((t: { name: string }) => t.name)).toEqual(['ok']);
    expect(r.stderr).toBe('warning: repository template "evil" (.fleet/templates/evil.md) is a symbolic link; fleet never follows links out of a repository');
  });

  it('outside a repository: only yours', async () => {
    write(path.join(sb.fleetHome, 'templates', 'mine.md'), '{{prompt}}');
    write(path.join(repo, '.fleet', 'templates', 'theirs.md'), '{{prompt}}');
    const r = await fleet(sb, ['templates', '--json'], { cwd: sb.home });
    expect(JSON.parse(r.stdout).map((t: { name: string; source: string }) => `${t.source}:${t.name}`)).toEqual(['user:mine']);
  });

  it('a linked worktree reads the main checkout\'s .fleet/templates', async () => {
    write(path.join(repo, '.fleet', 'templates', 'shared.md'), '{{prompt}}');
    await sb.git(repo, 'add', '-A');
    await sb.git(repo, 'commit', '-q', '-m', 'templates');
    const wt = path.join(sb.dir, 'wt');
    await sb.git(repo, 'worktree', 'add', '-q', '-b', 'other', wt);
    fs.rmSync(path.join(wt, '.fleet'), { recursive: true });
    const r = await fleet(sb, ['templates', '--json'], { cwd: wt });
    expect(JSON.parse(r.stdout).map((t: { path: string }) => t.path)).toEqual([path.join(repo, '.fleet', 'templates', 'shared.md')]);
  });
});
