import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, readState, standIn, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let out: string;
let fixed: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  await sb.git(repo, 'branch', 'dev');
  out = path.join(sb.dir, 'received');
  fs.mkdirSync(out);
  fixed = path.join(sb.dir, 'fixed');
  const rec = standIn(sb, 'rec', `printf '%s' "$1" > "${out}/$FLEET_BRANCH.arg"; exec sleep 300`);
  // su-3's setup fails until the user "fixes the cause" (creates the flag file).
  const setup = `[ "$FLEET_BRANCH" != su-3 ] || [ -e ${fixed} ] || { echo "su-3 is broken"; exit 3; }`;
  writeConfig(sb, `default_agent = "shell"\nsetup_commands = [${JSON.stringify(setup)}]\n[agents.rec]\ncommand = "${rec}"\n`);
});
afterEach(async () => {
  await sb.cleanup();
});

/** The hint's command(s), run as the user would paste them into a shell (with the built CLI as `fleet`). */
async function pasteHint(stderr: string): Promise<{ exitCode: number; stderr: string }> {
  const hint = stderr.slice(stderr.indexOf('hint: '));
  const commands = hint.split('\n').map((l) => l.replace(/^hint: .*in this batch: ?/, '').trim()).filter((l) => l.startsWith('fleet '));
  expect(commands.length).toBeGreaterThan(0);
  const bin = path.join(sb.dir, 'fleet-bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'fleet'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  const r = await execa('bash', ['-c', commands.join('\n')], {
    cwd: repo, env: { ...sb.env, PATH: `${bin}:${sb.env.PATH}` }, extendEnv: false, reject: false,
  });
  return { exitCode: r.exitCode ?? 1, stderr: r.stderr };
}

const arg = (branch: string) =>
  waitFor(() => fs.existsSync(path.join(out, `${branch}.arg`)) && fs.readFileSync(path.join(out, `${branch}.arg`), 'utf8'), { what: `${branch}'s prompt` });

describe('the retry hint after a failed agent in a batch', () => {
  it.each([
    ['a short prompt with quotes, quoted inline', `Fix it's "login" $(not run) \`nor this\``],
    ['a multi-line prompt, by a file fleet saved', `Line one: it's "quoted"\n\n$(not run)\n`],
  ])('%s: pasted as it is, it makes the agent again with the same agent, base, batch and prompt', async (_, prompt) => {
    const r = await fleet(sb, ['fanout', '3', 'su', '--agent', 'rec', '--base', 'dev', '-p', prompt], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/su-3 is broken/);
    expect(r.stderr).not.toMatch(/…/);
    expect(readState(sb).agents.map((a) => a.branch)).toEqual(['su-1', 'su-2']);

    fs.writeFileSync(fixed, '');
    const again = await pasteHint(r.stderr);
    expect(again.stderr).not.toMatch(/error/);
    expect(again.exitCode).toBe(0);
    const agents = readState(sb).agents as Array<{ branch: string; agent: string; batch_id: string; base_ref: string }>;
    expect(agents.map((a) => [a.branch, a.agent, a.batch_id, a.base_ref])).toEqual([
      ['su-1', 'rec', 'su', 'dev'],
      ['su-2', 'rec', 'su', 'dev'],
      ['su-3', 'rec', 'su', 'dev'],
    ]);
    expect(await arg('su-3')).toBe(prompt);
    expect(await arg('su-1')).toBe(prompt);
  });

  it('a prompt read with --prompt-file is given by that file again', async () => {
    const task = path.join(sb.dir, 'my task.md');
    const prompt = `${'Make the parser faster. '.repeat(20)}\n`;
    fs.writeFileSync(task, prompt);
    const r = await fleet(sb, ['multi', 'su-1', 'su-3', '--prompt-file', task, '--agent', 'rec', '--batch', 'su'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`--prompt-file '${task}'`);
    fs.writeFileSync(fixed, '');
    expect((await pasteHint(r.stderr)).exitCode).toBe(0);
    expect(await arg('su-3')).toBe(prompt);
  });
});
