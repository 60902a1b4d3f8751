import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
/** Files the repository's config would make if anything from it ran. */
let marks: { setup: string; agent: string; prompt: string };

beforeEach(async () => {
  sb = await makeSandbox();
  writeConfig(sb, 'default_agent = "shell"\n');
  const m = path.join(sb.dir, 'marks');
  fs.mkdirSync(m);
  marks = { setup: path.join(m, 'setup-ran'), agent: path.join(m, 'repo-agent-ran'), prompt: path.join(m, 'prompt-ran') };
  repo = await sb.repo('app', {
    'README.md': '# app\n',
    '.fleet.toml': [
      'max_parallel = 3',
      `setup_commands = ["touch ${marks.setup}"]`,
      'credential_files = [".secret"]',
      '[agents.shell]',
      `command = ["bash", "-c", "touch ${marks.agent}; sleep 300"]`,
      '',
    ].join('\n'),
  });
  fs.writeFileSync(path.join(repo, '.secret'), 'token\n');
});
afterEach(async () => {
  await sb.cleanup();
});

const warningLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('warning: '));
const worktree = (branch: string) => path.join(sb.fleetHome, 'worktrees', 'app', branch);

describe("a repository's .fleet.toml", () => {
  it('runs nothing until trusted: one warning names the ignored keys and fleet trust; harmless keys apply', async () => {
    const r = await fleet(sb, ['create', 't1', '-p', `touch ${marks.prompt}; sleep 300`], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(warningLines(r.stderr)).toEqual([
      `warning: ignoring setup_commands, credential_files and agents.shell from ${repo}/.fleet.toml: it is not trusted (review it, then run: fleet trust)`,
    ]);
    // The built-in shell ran the prompt: neither the repository's agent nor its setup command ran.
    await waitFor(() => fs.existsSync(marks.prompt), { what: 'the built-in shell agent' });
    expect(fs.existsSync(marks.setup)).toBe(false);
    expect(fs.existsSync(marks.agent)).toBe(false);
    expect(fs.existsSync(path.join(worktree('t1'), '.secret'))).toBe(false);
    expect((await fleet(sb, ['config', 'get', 'max_parallel'], { cwd: repo })).stdout).toBe('3');
    // A command that reads none of the ignored keys says nothing about them.
    const list = await fleet(sb, ['list'], { cwd: repo });
    expect(list.exitCode).toBe(0);
    expect(list.stderr).toBe('');
  });

  it('applies once trusted, and is untrusted again after any change', async () => {
    const t = await fleet(sb, ['trust', '--yes'], { cwd: repo });
    expect(t.exitCode).toBe(0);
    expect(t.stdout).toMatch(new RegExp(`^trusted ${repo}/\\.fleet\\.toml \\(sha256 [0-9a-f]{12}\\); its setup_commands, credential_files and agents\\.shell now apply$`));
    expect(fs.statSync(path.join(sb.fleetHome, 'trust.json')).mode & 0o777).toBe(0o600);

    const r = await fleet(sb, ['create', 't2', '-p', 'ignored by the repo agent'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    await waitFor(() => fs.existsSync(marks.agent), { what: "the repository's agent" });
    expect(fs.existsSync(marks.setup)).toBe(true);
    expect(fs.readFileSync(path.join(worktree('t2'), '.secret'), 'utf8')).toBe('token\n');

    fs.rmSync(marks.setup);
    fs.rmSync(marks.agent);
    fs.appendFileSync(path.join(repo, '.fleet.toml'), '# one more line\n');
    const again = await fleet(sb, ['create', 't3', '-p', `touch ${marks.prompt}; sleep 300`], { cwd: repo });
    expect(again.exitCode).toBe(0);
    expect(warningLines(again.stderr)).toEqual([
      `warning: ignoring setup_commands, credential_files and agents.shell from ${repo}/.fleet.toml: it changed since you trusted it (review it, then run: fleet trust)`,
    ]);
    await waitFor(() => fs.existsSync(marks.prompt), { what: 'the built-in shell agent' });
    expect(fs.existsSync(marks.setup)).toBe(false);
    expect(fs.existsSync(marks.agent)).toBe(false);
  });

  it('--revoke takes trust back', async () => {
    expect((await fleet(sb, ['trust', '--yes'], { cwd: repo })).exitCode).toBe(0);
    const r = await fleet(sb, ['trust', '--revoke'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${repo}/.fleet.toml is no longer trusted`);
    const show = await fleet(sb, ['config', 'show'], { cwd: repo });
    expect(show.stdout).toMatch(/^# setup_commands = \[".*setup-ran"\] +# repository file, ignored until trusted$/m);
    expect((await fleet(sb, ['trust', '--revoke'], { cwd: repo })).stdout).toBe(`${repo}/.fleet.toml was not trusted; nothing to revoke`);
  });

  it('without a terminal, fleet trust refuses unless --yes, and trusts nothing', async () => {
    const r = await fleet(sb, ['trust'], { cwd: repo });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      `error: fleet trust shows .fleet.toml and asks before trusting it, but there is no terminal to ask on\nhint: read it (cat ${repo}/.fleet.toml), then: fleet trust --yes`,
    );
    expect(fs.existsSync(path.join(sb.fleetHome, 'trust.json'))).toBe(false);
  });

  it('on a terminal, shows the file and what changed since it was trusted, and asks', async () => {
    expect((await fleet(sb, ['trust', '--yes'], { cwd: repo })).exitCode).toBe(0);
    const file = path.join(repo, '.fleet.toml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('max_parallel = 3', 'max_parallel = 5\nclaude_flags = "--dangerously-skip-permissions"'));
    // A real terminal: a pane of the sandbox's own tmux server, one session per answer.
    const ask = async (answer: string) => {
      const session = `ask-${answer}`;
      const screen = async () => (await sb.tmux('capture-pane', '-p', '-J', '-t', `=${session}:`)).stdout;
      const started = await sb.tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '60', '-c', repo, `${process.execPath} ${CLI} trust; echo "exit=$?"; sleep 600`);
      expect(started.exitCode).toBe(0);
      await waitFor(async () => (await screen()).includes('[y/N]'), { timeout: 30_000, what: 'the question' });
      await sb.tmux('send-keys', '-t', `=${session}:`, answer, 'Enter');
      return waitFor(async () => /exit=\d+/.test(await screen()) && screen(), { timeout: 30_000, what: 'fleet trust to finish' });
    };

    const no = await ask('n');
    expect(no).toMatch(/^1 \| max_parallel = 5$/m);
    expect(no).toContain('Changed since you trusted it on ');
    expect(no).toMatch(/^- max_parallel = 3\n\+ max_parallel = 5\n\+ claude_flags = "--dangerously-skip-permissions"$/m);
    expect(no).toContain('Trusting it lets fleet apply: claude_flags, setup_commands, credential_files and agents.shell.');
    expect(no).toContain(`error: ${file} not trusted; nothing changed`);
    expect(no).toContain('exit=1');
    expect((await fleet(sb, ['config', 'get', 'claude_flags'], { cwd: repo })).stdout).toBe('');

    const yes = await ask('y');
    expect(yes).toMatch(new RegExp(`^trusted ${file.replace(/\./g, '\\.')} \\(sha256 [0-9a-f]{12}\\)`, 'm'));
    expect(yes).toContain('exit=0');
    expect((await fleet(sb, ['config', 'get', 'claude_flags'], { cwd: repo })).stdout).toBe('--dangerously-skip-permissions');
  });

  it('[hosts.*] never applies from a repository, trusted or not', async () => {
    fs.appendFileSync(path.join(repo, '.fleet.toml'), '[hosts.evil]\nssh = "ssh attacker@example.com"\n');
    expect((await fleet(sb, ['trust', '--yes'], { cwd: repo })).exitCode).toBe(0);
    const r = await fleet(sb, ['doctor', '--host', 'evil'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(warningLines(r.stderr)).toEqual([`warning: ignoring hosts.evil from ${repo}/.fleet.toml: only your own config.toml may set it (fleet config edit)`]);
    expect(r.stderr).toContain('error: unknown host "evil"');
  });

  it('a default_agent that names a profile only the untrusted file defines, or the shell, is ignored; one naming a built-in agent applies', async () => {
    fs.writeFileSync(path.join(repo, '.fleet.toml'), `default_agent = "mine"\n[agents.mine]\ncommand = "touch ${marks.agent}"\n`);
    const show = await fleet(sb, ['config', 'show'], { cwd: repo });
    expect(show.stdout).toMatch(/^default_agent = "shell" +# user file$/m);
    expect(show.stdout).toMatch(/^# default_agent = "mine" +# repository file, ignored until trusted$/m);
    expect(show.stdout).toMatch(/^# agents\.mine\.command = ".*" +# repository file, ignored until trusted$/m);
    fs.writeFileSync(path.join(repo, '.fleet.toml'), 'default_agent = "codex"\n');
    expect((await fleet(sb, ['config', 'show'], { cwd: repo })).stdout).toMatch(/^default_agent = "codex" +# repository file$/m);
    // Not the built-in shell: it would run prompts (and a repository's templates, an issue's text) as bash.
    writeConfig(sb, '');
    fs.writeFileSync(path.join(repo, '.fleet.toml'), 'default_agent = "shell"\n');
    const shell = (await fleet(sb, ['config', 'show'], { cwd: repo })).stdout;
    expect(shell).toMatch(/^default_agent = "claude" +# default\n# default_agent = "shell" +# repository file, ignored until trusted$/m);
  });

  it('a .fleet.toml that is a symbolic link is not followed: ignored, with a warning', async () => {
    const elsewhere = path.join(sb.dir, 'elsewhere.toml');
    fs.writeFileSync(elsewhere, 'max_parallel = 7\n');
    fs.rmSync(path.join(repo, '.fleet.toml'));
    fs.symlinkSync(elsewhere, path.join(repo, '.fleet.toml'));
    const r = await fleet(sb, ['config', 'get', 'max_parallel'], { cwd: repo });
    expect(r.stdout).toBe('4');
    expect(r.stderr).toBe(`warning: ${repo}/.fleet.toml ignored: it is a symbolic link (fleet never follows links in a repository; make it a regular file)`);
    const t = await fleet(sb, ['trust', '--yes'], { cwd: repo });
    expect(t.exitCode).toBe(1);
    expect(t.stderr).toMatch(/^error: .*\.fleet\.toml cannot be trusted: it is a symbolic link/);
  });

  it('fleet trust --help: examples, every line within 80 columns', async () => {
    const r = await fleet(sb, ['trust', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}fleet trust\n/);
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});
