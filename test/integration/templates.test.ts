import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listTemplates, loadTemplate } from '../../src/ops/templates.js';
import { FleetError } from '../../src/errors.js';

let dir: string;
let env: NodeJS.ProcessEnv;
let repo: string;
let warnings: string[];
const write = (file: string, text: string | Buffer) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
};
const userFile = (name: string) => path.join(dir, 'fleet', 'templates', `${name}.md`);
const repoFile = (name: string) => path.join(repo, '.fleet', 'templates', `${name}.md`);
const dirs = () => ({ repoRoot: repo, env, warn: (m: string) => warnings.push(m) });
const load = (spec: string) => loadTemplate(spec, dirs());
function loadError(spec: string): FleetError {
  try {
    load(spec);
  } catch (e) {
    return e as FleetError;
  }
  throw new Error(`expected loading "${spec}" to fail`);
}

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-tpl-')));
  env = { HOME: path.join(dir, 'home'), AI_FLEET_HOME: path.join(dir, 'fleet') };
  repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  warnings = [];
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('loadTemplate', () => {
  it('reads your template, or the repository\'s when you have none by that name', () => {
    write(userFile('review'), 'mine {{prompt}}');
    write(repoFile('bugfix'), 'theirs {{issue.title}}');
    expect(load('review')).toEqual({ name: 'review', text: 'mine {{prompt}}', source: 'user', path: userFile('review') });
    expect(load('bugfix')).toMatchObject({ source: 'repository', text: 'theirs {{issue.title}}', path: repoFile('bugfix') });
    expect(load('bugfix.md').name).toBe('bugfix');
  });

  it('yours wins over the repository\'s of the same name; repo:NAME and user:NAME pick one', () => {
    write(userFile('review'), 'mine');
    write(repoFile('review'), 'theirs');
    expect(load('review').text).toBe('mine');
    expect(load('repo:review').text).toBe('theirs');
    expect(load('user:review').text).toBe('mine');
    fs.rmSync(userFile('review'));
    expect(loadError('user:review').message).toBe('no template "user:review" of yours');
  });

  it('an unknown name lists the templates that exist and where a new one goes', () => {
    write(userFile('review'), 'x');
    write(repoFile('bugfix'), 'y');
    const e = loadError('reveiw');
    expect(e.message).toBe('no template "reveiw"');
    expect(e.hint).toBe(`templates: review, bugfix (repository); a new one goes in ${userFile('reveiw')}`);
  });

  it('no templates at all: says where to write one', () => {
    const e = loadError('review');
    expect(e.message).toBe('no template "review": there are no templates yet');
    expect(e.hint).toMatch(new RegExp(`^write one to ${userFile('review').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(or \\.fleet/templates/review\\.md`));
  });

  it('refuses names that are paths', () => {
    for (const bad of ['../x', 'a/b', '.hidden', '', 'other:review']) expect(loadError(bad).exitCode).toBe(2);
  });

  it('refuses a repository template that is a symbolic link, naming it, and never reads its target', () => {
    const secret = path.join(dir, 'secret.txt');
    write(secret, 'TOKEN=abc');
    fs.mkdirSync(path.dirname(repoFile('x')), { recursive: true });
    fs.symlinkSync(secret, repoFile('evil'));
    const e = loadError('evil');
    expect(e.message).toBe('repository template "evil" (.fleet/templates/evil.md) is a symbolic link; fleet never follows links out of a repository');
    expect(e.message).not.toContain('TOKEN');
  });

  it('refuses a symlinked .fleet or .fleet/templates directory', () => {
    const elsewhere = path.join(dir, 'elsewhere');
    write(path.join(elsewhere, 'templates', 'evil.md'), 'from outside');
    fs.symlinkSync(elsewhere, path.join(repo, '.fleet'));
    expect(loadError('evil').message).toMatch(/\.fleet is a symbolic link/);
    fs.rmSync(path.join(repo, '.fleet'));
    fs.mkdirSync(path.join(repo, '.fleet'));
    fs.symlinkSync(path.join(elsewhere, 'templates'), path.join(repo, '.fleet', 'templates'));
    expect(loadError('evil').message).toMatch(/\.fleet\/templates is a symbolic link/);
  });

  it('your own template may be a link (dotfile managers)', () => {
    const real = path.join(dir, 'dotfiles', 'review.md');
    write(real, 'linked {{prompt}}');
    fs.mkdirSync(path.dirname(userFile('x')), { recursive: true });
    fs.symlinkSync(real, userFile('review'));
    expect(load('review').text).toBe('linked {{prompt}}');
  });

  it('caps size at 128 KiB and refuses what is not UTF-8 text', () => {
    write(repoFile('big'), 'x'.repeat(128 * 1024 + 1));
    expect(loadError('big').message).toBe('repository template "big" (.fleet/templates/big.md) is 129 KiB; a prompt can be at most 128 KiB');
    write(repoFile('ok'), 'x'.repeat(128 * 1024));
    expect(load('ok').text.length).toBe(128 * 1024);
    write(repoFile('bin'), Buffer.from([0x66, 0xff, 0xfe, 0x00]));
    expect(loadError('bin').message).toMatch(/is not UTF-8 text/);
    write(repoFile('nul'), 'a\0b');
    expect(loadError('nul').message).toMatch(/contains a NUL byte/);
    write(userFile('huge'), 'y'.repeat(200 * 1024));
    expect(loadError('huge').message).toMatch(/template "huge" .* is 200 KiB/);
  });
});

describe('listTemplates', () => {
  it('lists yours first, then the repository\'s, with variables; a shadowed one is marked; refused files are warned about', () => {
    write(userFile('review'), '{{branch}} {{focus}} {{prompt}} {{focus}}');
    write(repoFile('review'), '{{x}}');
    write(repoFile('bugfix'), '{{ issue.title }}\n{{issue.body}} \\{{literal}}');
    write(path.join(repo, '.fleet', 'templates', 'notes.txt'), 'not a template');
    fs.symlinkSync('/etc/hostname', repoFile('evil'));
    expect(listTemplates(dirs())).toEqual([
      { name: 'review', source: 'user', path: userFile('review'), variables: ['branch', 'focus', 'prompt'], shadowed: false },
      { name: 'bugfix', source: 'repository', path: repoFile('bugfix'), variables: ['issue.title', 'issue.body'], shadowed: false },
      { name: 'review', source: 'repository', path: repoFile('review'), variables: ['x'], shadowed: true },
    ]);
    expect(warnings).toEqual(['repository template "evil" (.fleet/templates/evil.md) is a symbolic link; fleet never follows links out of a repository']);
  });

  it('outside a repository: only yours', () => {
    write(userFile('a'), '{{prompt}}');
    expect(listTemplates({ repoRoot: null, env }).map((t) => [t.name, t.source])).toEqual([['a', 'user']]);
  });
});
