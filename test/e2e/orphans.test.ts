import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, readState, standIn, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let pidDir: string;

/** Is this pid a running process (a zombie has ended: nobody may be left to reap it)? */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^\S+ \(.*\) [ZX] /s.test(stat);
  } catch {
    return false;
  }
}

/** The pids the stand-ins wrote, by name. */
function pids(): Record<string, number> {
  const out: Record<string, number> = {};
  if (!fs.existsSync(pidDir)) return out;
  for (const f of fs.readdirSync(pidDir)) out[f] = Number(fs.readFileSync(path.join(pidDir, f), 'utf8').trim());
  return out;
}

/** Which of them still run. */
const survivors = () => Object.entries(pids()).filter(([, pid]) => running(pid)).map(([name]) => name).sort();

/**
 * The stand-ins: an agent that ignores SIGHUP and SIGTERM (as gemini's launcher does), with
 * - "stubborn": a child that inherits that (still in the pane's tree),
 * - "setsid": a child started with setsid -f (own session and group, re-parented to init),
 * - "daemon": a daemonized child with an empty environment, cd'd into a directory of the worktree,
 * - "envonly": a setsid'd child that moved out to / (found by the FLEET_WORKTREE it inherited).
 */
const ESCAPES = `
trap '' HUP TERM
d=$1
mkdir -p sub
bash -c 'echo $$ > "$0/stubborn"; exec sleep 1001' "$d" &
setsid -f bash -c 'echo $$ > "$0/setsid"; exec sleep 1002' "$d"
(cd sub && env -i /usr/bin/setsid -f /bin/bash -c 'echo $$ > "$0/daemon"; exec /bin/sleep 1003' "$d")
(cd / && setsid -f bash -c 'echo $$ > "$0/envonly"; exec sleep 1004' "$d")
echo $$ > "$d/agent"
exec sleep 1000
`;
const ALL = ['agent', 'daemon', 'envonly', 'setsid', 'stubborn'];

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  pidDir = path.join(sb.dir, 'pids');
  fs.mkdirSync(pidDir);
  const escaper = standIn(sb, 'escaper', ESCAPES);
  writeConfig(sb, `default_agent = "escaper"\n[agents.escaper]\ncommand = ["${escaper}", "${pidDir}", "{prompt}"]\n`);
});
afterEach(async () => {
  // Whatever a failing test left: never leave sleeps behind on the machine.
  for (const pid of Object.values(pids())) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await sb.cleanup();
});

const worktree = (b: string) => path.join(sb.fleetHome, 'worktrees', 'repo', b);

describe('nothing the agent started outlives it', () => {
  it('kill ends the whole tree: a process ignoring SIGHUP/SIGTERM, setsid children, a daemon in the worktree', async () => {
    const c = await fleet(sb, ['create', 'esc', '-p', 'go'], { cwd: repo });
    expect(c.exitCode, c.stderr).toBe(0);
    await waitFor(() => Object.keys(pids()).length === ALL.length, { what: 'the stand-ins to start' });
    expect(survivors()).toEqual(ALL);

    const k = await fleet(sb, ['kill', 'esc'], { cwd: repo });
    expect(k.exitCode, k.stderr).toBe(0);
    expect(k.stdout).toMatch(/^killed esc: session ended, worktree removed/m);
    expect(survivors()).toEqual([]);
    expect(fs.existsSync(worktree('esc'))).toBe(false);
  });

  it('prune ends what an agent whose session was killed behind fleet\'s back left running', async () => {
    expect((await fleet(sb, ['create', 'gone', '-p', 'go'], { cwd: repo })).exitCode).toBe(0);
    await waitFor(() => Object.keys(pids()).length === ALL.length, { what: 'the stand-ins to start' });
    // The session ends behind fleet's back: the stubborn and escaped ones live on.
    expect((await sb.tmux('kill-session', '-t', '=fleet_repo_gone')).exitCode).toBe(0);
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_gone')).exitCode).not.toBe(0);
    expect(survivors()).toEqual(ALL);

    const r = await fleet(sb, ['prune', '--yes'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed record gone/);
    expect(survivors()).toEqual([]);
  });

  it('the rollback of a failed create ends what its setup commands started', async () => {
    writeConfig(
      sb,
      `default_agent = "shell"\nsetup_commands = ["setsid -f bash -c 'echo $$ > ${pidDir}/setup; exec sleep 1005'; (nohup sleep 1006 >/dev/null 2>&1 & echo $! > ${pidDir}/nohup); exit 3"]\n`,
    );
    const c = await fleet(sb, ['create', 'bad', '-p', 'sleep 60'], { cwd: repo });
    expect(c.exitCode).toBe(1);
    expect(c.stderr).toMatch(/setup command failed for "bad" \(exit 3\)/);
    expect(Object.keys(pids()).sort()).toEqual(['nohup', 'setup']);
    expect(survivors()).toEqual([]);
    expect(readState(sb).agents).toEqual([]);
  });

  it('prune ends the setup commands a fleet killed during set-up left running', async () => {
    writeConfig(sb, `default_agent = "shell"\nsetup_commands = ["echo $$ > ${pidDir}/setup; sleep 1007"]\n`);
    const creator = execa(process.execPath, [CLI, 'create', 'half', '-p', 'sleep 60'], { cwd: repo, env: sb.env, extendEnv: false, reject: false });
    await waitFor(() => pids().setup !== undefined, { what: 'set-up to start' });
    creator.kill('SIGKILL');
    await creator;
    expect(survivors()).toEqual(['setup']);

    const r = await fleet(sb, ['prune', '--yes'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed record half \(its set-up never finished/);
    expect(survivors()).toEqual([]);
  });
});
