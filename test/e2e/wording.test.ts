import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/main.js';
import { execa } from 'execa';
import { CLI, fleet, makeSandbox, onTerminal, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, 'default_agent = "shell"\n');
});
afterEach(async () => {
  await sb.cleanup();
});

describe('prompt says what it did', () => {
  it('"1 character", and --no-enter types without sending', async () => {
    const input = path.join(sb.dir, 'input');
    // A raw terminal: keys arrive as they are, Enter as a CR.
    const r = await fleet(sb, ['create', 'talk', '--quick', '-p', `stty raw -echo; exec cat > '${input}'`], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    await waitFor(async () => (await sb.tmux('display-message', '-p', '-t', '=fleet_repo_talk:', '#{pane_current_command}')).stdout.trim() === 'cat', { what: 'cat to read' });

    const typed = await fleet(sb, ['prompt', 'talk', '--no-enter', 'draft'], { cwd: repo });
    expect(typed.exitCode).toBe(0);
    expect(typed.stderr).toBe('typed 5 characters into talk, not sent (no Enter): fleet attach talk to send it');
    await waitFor(() => fs.existsSync(input) && fs.readFileSync(input, 'utf8') === 'draft', { what: 'the typed text' });

    const one = await fleet(sb, ['prompt', 'talk', 'é'], { cwd: repo });
    expect(one.stderr).toBe('sent 1 character to talk');
    await waitFor(() => fs.readFileSync(input, 'utf8') === 'draft' + 'é\r', { what: 'the sent text and its Enter' });
    expect((await fleet(sb, ['prompt', 'talk', 'go on'], { cwd: repo })).stderr).toBe('sent 5 characters to talk');
  });
});

describe('--help', () => {
  it('into a reader that has gone away: no stack trace, exit status 0', async () => {
    // The pipe's read end closed before fleet writes: every write fails with EPIPE.
    const child = execa(process.execPath, [CLI, 'compare', '--help'], { env: sb.env, extendEnv: false, reject: false, stdout: 'pipe' });
    child.stdout.destroy();
    const r = await child;
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('every command\'s help fits 80 columns', async () => {
    // In-process over the real program: every command and subcommand, its text as --help prints it.
    const wide: string[] = [];
    let count = 0;
    const walk = (c: Command, name: string) => {
      let text = '';
      c.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
      c.outputHelp();
      count++;
      expect(text, name).toMatch(/^Usage: fleet/);
      for (const l of text.split('\n')) if (l.length > 80) wide.push(`${name} --help: ${l}`);
      for (const sub of c.commands) walk(sub, `${name} ${sub.name()}`);
    };
    walk(await buildProgram(), 'fleet');
    expect(count).toBeGreaterThan(15);
    expect(wide).toEqual([]);
  });

  it('and on a terminal wider than 80 columns too', async () => {
    for (const c of ['list', 'logs', 'create', 'config']) {
      const { exitCode, lines } = await (await onTerminal(sb, `${c} --help`, { cols: 200, rows: 100, cwd: repo })).ended();
      expect(exitCode, `fleet ${c} --help`).toBe(0);
      expect(lines.join('\n'), `fleet ${c} --help`).toMatch(/^Usage: fleet/);
      expect(lines.filter((l) => l.length > 80), `fleet ${c} --help`).toEqual([]);
    }
  });
});
