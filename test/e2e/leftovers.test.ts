import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
const scratch: string[] = [];

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, 'default_agent = "shell"\n');
});
afterEach(async () => {
  for (const d of scratch.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  await sb.cleanup();
});

/** A pid whose process has ended. */
const deadPid = () => spawnSync('true').pid;

/** Make a file (or directory) as if written `ageMs` ago. */
function made(p: string, ageMs: number, dir = false): string {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  if (dir) fs.mkdirSync(p, { recursive: true });
  else fs.writeFileSync(p, 'x');
  const t = new Date(Date.now() - ageMs);
  fs.utimesSync(p, t, t);
  return p;
}

const MINUTES = 60_000;

describe('prune removes what killed fleets left of their own', () => {
  it('temp files, unread prompt files, a broken lock and retry hints\' prompt copies: old ones of gone processes only', async () => {
    const home = sb.fleetHome;
    const dead = deadPid();
    const reused = spawn('sleep', ['60']); // alive, but started long after its pid's file was written
    try {
      const gone = [
        made(path.join(home, `state.json.tmp-${dead}-k3j2h1`), 5 * MINUTES),
        made(path.join(home, 'run', `fleet_repo_fix-${dead}-a1b2c3.prompt`), 5 * MINUTES),
        made(path.join(home, 'run', `fleet_repo_fix-${reused.pid}-d4e5f6.prompt`), 5 * MINUTES),
        made(path.join(home, `state.json.lock.dead-${dead}-x9y8z7`), 5 * MINUTES, true),
        made(path.join(home, 'prompts', 'try-3f9a1c2b.txt'), 8 * 24 * 60 * MINUTES), // a retry hint's copy, over a week old
      ];
      const kept = [
        made(path.join(home, `state.json.tmp-${dead}-young1`), 0), // may still be being written
        made(path.join(home, 'run', 'fleet_repo_live-1-q1w2e3.prompt'), 5 * MINUTES), // pid 1 runs, and ran back then
        made(path.join(home, 'state.json.corrupt-2025-01-01T00-00-00-000Z'), 5 * MINUTES), // the user's to look at
        made(path.join(home, 'prompts', 'try-7e6d5c4b.txt'), 6 * 24 * 60 * MINUTES), // its retry hint may still be pasted
      ];

      const dry = await fleet(sb, ['prune', '--dry-run'], { cwd: repo });
      expect(dry.exitCode, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(new RegExp(`would remove leftover .*state\\.json\\.tmp-${dead}-k3j2h1 \\(half-written file of fleet pid ${dead}, which is gone\\)`));
      for (const f of gone) expect(fs.existsSync(f)).toBe(true);

      const r = await fleet(sb, ['prune', '--yes'], { cwd: repo });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.split('\n').filter((l) => l.startsWith('removed leftover'))).toHaveLength(gone.length);
      expect(r.stdout).toMatch(/removed leftover .*\.prompt \(prompt no agent read, written by fleet pid \d+, which is gone\)/);
      expect(r.stdout).toMatch(/removed leftover .*state\.json\.lock\.dead-\S+ \(broken state lock/);
      expect(r.stdout).toMatch(/removed leftover .*prompts\/try-3f9a1c2b\.txt \(copy of a prompt for a retry hint, over a week old\)/);
      for (const f of gone) expect(fs.existsSync(f), f).toBe(false);
      for (const f of kept) expect(fs.existsSync(f), f).toBe(true);
    } finally {
      reused.kill('SIGKILL');
    }
  });

  it("pick's scratch worktree of a killed fleet: removed, and git forgets it; a live pick's is kept", async () => {
    const dead = deadPid();
    const left = path.join(os.tmpdir(), `fleet-pick-${dead}-AbC123`);
    // pid 1 runs, and ran when this was made: as a live pick would.
    const live = path.join(os.tmpdir(), "fleet-pick-1-XyZ789");
    scratch.push(left, live);
    for (const d of [left, live]) {
      fs.rmSync(d, { recursive: true, force: true });
      await sb.git(repo, 'worktree', 'add', '--detach', '-q', d, 'HEAD');
      const t = new Date(Date.now() - 5 * MINUTES);
      fs.utimesSync(d, t, t);
    }

    const r = await fleet(sb, ['prune', '--yes'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^removed leftover .*fleet-pick-${dead}-AbC123 \\(pick's scratch worktree, left by fleet pid ${dead}, which is gone\\)$`, 'm'));
    expect(fs.existsSync(left)).toBe(false);
    const listed = await sb.git(repo, 'worktree', 'list', '--porcelain');
    expect(listed).not.toContain(left);
    expect(listed).toContain(live);
    expect(fs.existsSync(live)).toBe(true);
  });
});
