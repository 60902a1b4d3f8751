import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo('repo', { 'README.md': 'x\n', '.gitignore': '.env\n.env.local\nconf/\n' });
});
afterEach(async () => {
  await sb.cleanup();
});

describe('credential files on a hostile branch', () => {
  it('never writes through a symbolic link the branch committed, warns naming each refused file, copies the rest', async () => {
    // The user's own secrets, in the main checkout (git-ignored, as usual).
    fs.writeFileSync(path.join(repo, '.env'), 'API_KEY=mine\n', { mode: 0o600 });
    fs.writeFileSync(path.join(repo, '.env.local'), 'LOCAL=1\n', { mode: 0o640 });
    fs.mkdirSync(path.join(repo, 'conf'));
    fs.writeFileSync(path.join(repo, 'conf', 'secret.txt'), 'conf secret\n', { mode: 0o600 });

    // Files outside the repository that a branch would like fleet to overwrite.
    const victim = path.join(sb.dir, 'victim-bashrc');
    fs.writeFileSync(victim, 'precious\n', { mode: 0o644 });
    const elsewhere = path.join(sb.dir, 'elsewhere');
    fs.mkdirSync(elsewhere);

    // A branch that commits .env -> the victim, and conf -> a directory elsewhere.
    await sb.git(repo, 'switch', '-q', '-c', 'hostile');
    fs.renameSync(path.join(repo, '.env'), path.join(sb.dir, 'env.saved'));
    fs.renameSync(path.join(repo, 'conf'), path.join(sb.dir, 'conf.saved'));
    fs.symlinkSync(victim, path.join(repo, '.env'));
    fs.symlinkSync(elsewhere, path.join(repo, 'conf'));
    await sb.git(repo, 'add', '-f', '.env', 'conf');
    await sb.git(repo, 'commit', '-q', '-m', 'innocent-looking change');
    await sb.git(repo, 'switch', '-q', 'main');
    fs.renameSync(path.join(sb.dir, 'env.saved'), path.join(repo, '.env'));
    fs.renameSync(path.join(sb.dir, 'conf.saved'), path.join(repo, 'conf'));

    writeConfig(sb, 'default_agent = "shell"\ncredential_files = [".env", "conf/secret.txt", ".env.local"]\n');
    const r = await fleet(sb, ['create', 'hostile', '-p', 'sleep 300'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([
      'warning: credential file ".env" not copied: in the worktree it is a symbolic link; fleet never writes through a link the branch put there',
      'warning: credential file "conf/secret.txt" not copied: in the worktree, "conf" is a symbolic link; fleet never writes through a link the branch put there',
    ]);

    // Nothing outside the worktree changed: neither content nor mode.
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.statSync(victim).mode & 0o777).toBe(0o644);
    expect(fs.readdirSync(elsewhere)).toEqual([]);

    // The worktree keeps the branch's links as they are; the file with no link in its way was copied.
    const wt = path.join(sb.fleetHome, 'worktrees', 'repo', 'hostile');
    expect(fs.lstatSync(path.join(wt, '.env')).isSymbolicLink()).toBe(true);
    expect(fs.lstatSync(path.join(wt, 'conf')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(wt, '.env.local'), 'utf8')).toBe('LOCAL=1\n');
    expect(fs.statSync(path.join(wt, '.env.local')).mode & 0o777).toBe(0o640);
    expect(readState(sb).agents.map((a) => a.copied_files)).toEqual([['.env.local']]);
  });

  it('replaces a regular file the branch committed at a credential path, without touching anything else', async () => {
    await sb.git(repo, 'switch', '-q', '-c', 'tracked');
    fs.writeFileSync(path.join(repo, '.env'), 'API_KEY=placeholder\n');
    await sb.git(repo, 'add', '-f', '.env');
    await sb.git(repo, 'commit', '-q', '-m', 'a placeholder .env');
    await sb.git(repo, 'switch', '-q', 'main');
    fs.writeFileSync(path.join(repo, '.env'), 'API_KEY=mine\n', { mode: 0o600 });

    writeConfig(sb, 'default_agent = "shell"\ncredential_files = [".env"]\n');
    const r = await fleet(sb, ['create', 'tracked', '-p', 'sleep 300'], { cwd: repo });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const wt = path.join(sb.fleetHome, 'worktrees', 'repo', 'tracked');
    expect(fs.readFileSync(path.join(wt, '.env'), 'utf8')).toBe('API_KEY=mine\n');
    expect(fs.statSync(path.join(wt, '.env')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(wt).filter((f) => f.includes('fleet-'))).toEqual([]); // no temporary file left
  });

  it('still refuses a credential file in the main checkout that links out of the repository', async () => {
    const outside = path.join(sb.dir, 'outside.env');
    fs.writeFileSync(outside, 'x\n');
    fs.symlinkSync(outside, path.join(repo, '.env'));
    writeConfig(sb, 'default_agent = "shell"\ncredential_files = [".env"]\n');
    const r = await fleet(sb, ['create', 'x', '-p', 'sleep 300'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: credential file "\.env" points outside the repository/m);
    expect(readState(sb).agents).toEqual([]);
  });
});
