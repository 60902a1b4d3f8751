import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, writeConfig, type Sandbox } from '../helpers/sandbox.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let sb: Sandbox;

beforeAll(async () => {
  [sshd, sb] = await Promise.all([startSshd(), makeSandbox()]);
  const toml = (s: string) => JSON.stringify(s);
  writeConfig(sb, [
    'default_agent = "shell"',
    '[hosts.loop]',
    `ssh = ${toml(sshd.sshCommand())}`,
    '[hosts.bare]',
    `ssh = ${toml(sshd.sshCommand([], { port: sshd.noTmuxPort }))}`,
    '[hosts.gone]',
    `ssh = ${toml(sshd.sshCommand([], { port: 1 }))}`,
  ].join('\n') + '\n');
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  await sb?.cleanup();
});

describe('fleet doctor', () => {
  it('checks this machine and the host over ssh, one line per check, exit 0 when all is there', async () => {
    const r = await fleet(sb, ['doctor', '--host', 'loop']);
    expect(r.stderr).toBe('everything fleet needs is there');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('this machine');
    const hostAt = lines.findIndex((l) => l.startsWith('host "loop" ('));
    expect(hostAt).toBeGreaterThan(0);
    expect(lines[hostAt]).toContain(`${sshd.user}@127.0.0.1`);
    const hostLines = lines.slice(hostAt + 1);
    expect(hostLines[0]).toMatch(/^ {2}ok {7}ssh {8}connected and ran the checks in \d+ ms$/);
    for (const tool of ['git', 'tmux', 'bash', 'ps']) expect(hostLines.some((l) => new RegExp(`^  ok +${tool} +\\S.*\\(/`).test(l))).toBe(true);
    expect(hostLines.some((l) => /^ {2}ok +shell \(bash\) +\(\/.*bash\)$/.test(l))).toBe(true);
  });

  it('names a host without tmux, with the exact install line for that host', async () => {
    const r = await fleet(sb, ['doctor', '--host', 'bare']);
    expect(r.exitCode).toBe(1);
    const tmuxLine = r.stdout.split('\n').slice(r.stdout.split('\n').findIndex((l) => l.startsWith('host "bare"'))).find((l) => /^ {2}MISSING +tmux /.test(l));
    expect(tmuxLine).toBe('  MISSING  tmux       not found on PATH; fix (on bare): sudo apt-get install -y tmux');
    expect(r.stderr).toBe('error: 1 problem: tmux missing on "bare"\nhint: run the fix shown on each line above, then fleet doctor again');
  });

  it("a host whose ssh fails: ssh's own message, and how to try it by hand", async () => {
    const r = await fleet(sb, ['doctor', '--host', 'gone']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/\n {2}FAILED {3}ssh {8}ssh: connect to host 127\.0\.0\.1 port 1: Connection refused$/);
    const [err, hint, ...rest] = r.stderr.split('\n');
    expect(err).toBe('error: host "gone": ssh: connect to host 127.0.0.1 port 1: Connection refused');
    expect(hint).toMatch(/^hint: try the same ssh by hand \(add -v to see why\): ssh .*-p 1 .*fleet-rt-\w+@127\.0\.0\.1 true$/);
    expect(rest).toEqual([]);
  });

  it('the default agent missing on the host is a problem, with its npm line; others are only noted', async () => {
    const cfg = path.join(sb.fleetHome, 'config.toml');
    const before = fs.readFileSync(cfg, 'utf8');
    fs.writeFileSync(cfg, before.replace('default_agent = "shell"', 'default_agent = "codex"'));
    try {
      const r = await fleet(sb, ['doctor', '--host', 'loop', '--json']);
      expect(r.exitCode).toBe(1);
      const out = JSON.parse(r.stdout);
      expect(out.ok).toBe(false);
      const host = out.hosts[0];
      expect(host).toMatchObject({ name: 'loop', reachable: true, error: null });
      const codex = host.checks.find((c: { name: string }) => c.name === 'codex');
      expect(codex.status).toBe('missing');
      expect(codex.fix).toMatch(/npm install -g @openai\/codex$/);
      expect(host.checks.find((c: { name: string }) => c.name === 'gemini').status).toBe('optional');
      expect(r.stderr).toMatch(/^error: 2 problems: codex missing here, codex missing on "loop"$/m);
    } finally {
      fs.writeFileSync(cfg, before);
    }
  });

  it('an unknown host names the configured ones', async () => {
    const r = await fleet(sb, ['doctor', '--host', 'nope']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('error: unknown host "nope"\nhint: configured hosts: bare, gone, loop');
  });

  it('config show lists the hosts', async () => {
    const r = await fleet(sb, ['config', 'show']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`hosts.bare.ssh = ${JSON.stringify(sshd.sshCommand([], { port: sshd.noTmuxPort }))}`);
  });

  it("a repository's .fleet.toml cannot add a host: ignored, with a warning", async () => {
    const repo = await sb.repo('evil', { '.fleet.toml': `[hosts.evil]\nssh = "ssh attacker@example.com"\n` });
    const r = await fleet(sb, ['doctor', '--host', 'evil'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`warning: ignoring hosts.evil from ${repo}/.fleet.toml: only your own config.toml may set it (fleet config edit)`);
    expect(r.stderr).toContain('error: unknown host "evil"');
  });
});
