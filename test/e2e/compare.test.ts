import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, startScriptAgents, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let marker: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo('repo', { 'README.md': '# test repo\n', 'notes.txt': 'one\ntwo\nthree\n' });
  writeConfig(sb, 'default_agent = "shell"\n');
  // Seen by pgrep -f: a grandchild of a check, which only a kill of its whole process group reaches.
  marker = `fleet-check-${path.basename(sb.dir)}`;
});
afterEach(async () => {
  await sb.cleanup();
});

const worktreeOf = (branch: string) => path.join(sb.fleetHome, 'worktrees', 'repo', branch);

/** Three agents, each with one commit: the check passes on cmp-1, fails on cmp-2, hangs on cmp-3. */
async function threeAgents() {
  await startScriptAgents(
    sb,
    repo,
    {
      'cmp-1': `echo good > good.txt && git add good.txt && git commit -qm good`,
      'cmp-2': `echo bad > bad.txt && printf 'one\\n' > notes.txt && git commit -qam bad && git add bad.txt && git commit -qm 'bad file'`,
      'cmp-3': `echo slow > slow.txt && git add slow.txt && git commit -qm slow`,
    },
    'cmp',
  );
}

const CHECK = `echo "check of $FLEET_BRANCH in batch $FLEET_BATCH by $FLEET_AGENT with $FROM_CONFIG"; if [ -f good.txt ]; then exit 0; elif [ -f bad.txt ]; then echo broken >&2; exit 3; else sh -c 'sleep 120' MARKER & sleep 120; fi`;

describe('fleet compare', () => {
  it('runs the check in every worktree: one passes, one fails, one times out (its processes killed); --json rows', async () => {
    writeConfig(sb, 'default_agent = "shell"\n[env]\nFROM_CONFIG = "the agent env"\n');
    await threeAgents();
    const r = await fleet(sb, ['compare', 'cmp', '--run', CHECK.replace('MARKER', marker), '--timeout', '2', '--json'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown> & { branch: string; check: Record<string, unknown>; changes: Record<string, number> }>;
    expect(rows.map((x) => x.branch)).toEqual(['cmp-1', 'cmp-2', 'cmp-3']);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(['repo', 'branch', 'batch_id', 'agent', 'status', 'created_at', 'check', 'changes', 'usage', 'best']);
      expect(Object.keys(row.check)).toEqual(['passed', 'exit_code', 'duration_ms', 'log', 'timed_out', 'worktree_changed', 'error']);
      expect(row.usage).toBeNull(); // shell agents keep no transcript
      expect(['running', 'idle']).toContain(row.status); // alive, waiting in its sleep
    }
    const [one, two, three] = rows;
    expect(one!.check).toMatchObject({ passed: true, exit_code: 0, timed_out: false, worktree_changed: false });
    expect(one!.changes).toEqual({ files: 1, added: 1, removed: 0, commits: 1 });
    expect(one!.best).toBe(true);
    expect(two!.check).toMatchObject({ passed: false, exit_code: 3, timed_out: false });
    expect(two!.changes).toEqual({ files: 2, added: 1, removed: 2, commits: 2 });
    expect(two!.best).toBe(false);
    expect(three!.check).toMatchObject({ passed: false, exit_code: null, timed_out: true });
    expect(three!.check.duration_ms as number).toBeGreaterThanOrEqual(2000);
    expect(three!.best).toBe(false);

    // Each check's output is kept, private, with the agent's FLEET_* variables.
    const log = two!.check.log as string;
    expect(log.startsWith(path.join(sb.fleetHome, 'logs'))).toBe(true);
    expect(fs.statSync(log).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(log, 'utf8')).toContain('check of cmp-2 in batch cmp by shell with the agent env\nbroken\n');
    expect(fs.readFileSync(three!.check.log as string, 'utf8')).toContain('timed out after 2 s');
    // The timed-out check's own child died with it.
    await waitFor(async () => (await execa('pgrep', ['-f', marker], { reject: false })).stdout === '', { what: 'the timed-out check to be gone' });
    expect(r.stderr).toContain('cmp-3: timed out after');
  });

  it('prints one table with the best marked and the commands to land it; pick --best refuses once the batch changed', async () => {
    await threeAgents();
    const r = await fleet(sb, ['compare', 'cmp', '--run', 'test -f good.txt || test -f slow.txt'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^\s+BRANCH\s+STATUS\s+CHECK\s+CHANGES\s+TOKENS\s+COST\s+AGE$/);
    // cmp-1 and cmp-3 pass with one line each: the tie goes to the one started first, then by name.
    expect(lines[1]).toMatch(/^\*\s+cmp-1\s+(running|idle)\s+passed in [\d.]+ s\s+1 file \+1\/-0, 1 commit\s+-\s+-\s+\d+s$/);
    expect(lines[2]).toMatch(/^\s+cmp-2\s+(running|idle)\s+failed \(exit 1\) in [\d.]+ s\s+2 files \+1\/-2, 2 commits/);
    expect(lines[3]).toMatch(/^\s+cmp-3\s+(running|idle)\s+passed/);
    expect(r.stdout).toContain('best: cmp-1 (check passed, fewest changed lines (1), same cost, started first)\n  fleet diff cmp-1\n  fleet pick cmp-1 (or: fleet pick --best cmp)');

    // An edit after the compare: the batch is not what was compared any more.
    const main = await sb.git(repo, 'rev-parse', 'HEAD');
    fs.writeFileSync(path.join(worktreeOf('cmp-3'), 'later.txt'), 'written after the compare\n');
    const refused = await fleet(sb, ['pick', '--best', 'cmp', '--yes'], { cwd: repo });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('error: batch "cmp" changed since it was compared: "cmp-3" has new commits or changed files; nothing was picked');
    expect(refused.stderr).toContain('hint: fleet compare cmp again, or pick one yourself: fleet pick cmp-1');
    expect(await sb.git(repo, 'rev-parse', 'HEAD')).toBe(main);
    expect(fs.existsSync(worktreeOf('cmp-1'))).toBe(true);

    // Put back as it was compared: the same files, so pick --best goes ahead and lands the best.
    fs.rmSync(path.join(worktreeOf('cmp-3'), 'later.txt'));
    const picked = await fleet(sb, ['pick', '--best', 'cmp', '--yes'], { cwd: repo });
    expect(picked.exitCode, picked.stderr).toBe(0);
    expect(picked.stdout).toMatch(/^landed cmp-1 into main/m);
    expect(fs.readFileSync(path.join(repo, 'good.txt'), 'utf8')).toBe('good\n');
  });

  it('pick --best refuses when an agent left or joined the batch since the compare', async () => {
    await threeAgents();
    expect((await fleet(sb, ['compare', 'cmp', '--run', 'true'], { cwd: repo })).exitCode).toBe(0);
    expect((await fleet(sb, ['kill', 'cmp-2'], { cwd: repo })).exitCode).toBe(0);
    const r = await fleet(sb, ['pick', '--best', 'cmp', '--yes'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('its agents are not the same ("cmp-2" is gone)');
  });

  it('reports a check that writes into the worktree, and compares the worktree as it was before', async () => {
    await startScriptAgents(sb, repo, { 'w-1': 'echo a > a.txt', 'w-2': 'echo b > b.txt' }, 'w');
    const r = await fleet(sb, ['compare', 'w', '--run', 'if [ -f a.txt ]; then echo x >> README.md; echo out > made.txt; fi'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/w-1\s+\S+\s+passed in [\d.]+ s \(changed files\)\s+1 file \+1\/-0/);
    expect(r.stderr).toContain('note: the worktree of "w-1" changed during the check (README.md, made.txt); its row shows the worktree as it was before');
    // Both passed with one line: the one the check left alone ranks first.
    expect(r.stdout).toContain('best: w-2');
    const json = JSON.parse((await fleet(sb, ['compare', 'w', '--run', 'true', '--json'], { cwd: repo })).stdout) as Array<{ branch: string; changes: { files: number } }>;
    // The next compare sees what the first check wrote: it was not cleaned away, and it counts now.
    expect(json.find((x) => x.branch === 'w-1')!.changes.files).toBe(3);
  });

  it('compares named branches and globs too; no best when no check passes (exit 1)', async () => {
    await threeAgents();
    const r = await fleet(sb, ['compare', 'cmp-1', 'cmp-[23]', '--run', 'exit 1'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stdout.split('\n').filter((l) => / cmp-\d /.test(l))).toHaveLength(3);
    expect(r.stderr).toContain("error: no best candidate: no agent's check passed with changes to land");
  });

  it('refuses a missing batch, an empty --run, and no check at all, before running anything', async () => {
    await startScriptAgents(sb, repo, { 'a-1': 'true' }, 'a');
    const missing = await fleet(sb, ['compare', 'nope', '--run', 'true'], { cwd: repo });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe('error: no batch or agent "nope" in this repository\nhint: batches here: a (fleet list --grouped shows them)');
    const empty = await fleet(sb, ['compare', 'a', '--run', '  '], { cwd: repo });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toBe('error: --run is empty\nhint: name the check, e.g. fleet compare a --run "npm test"');
    const none = await fleet(sb, ['compare', 'a'], { cwd: repo });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('error: no check to run: give --run CMD, or set compare_command');
    expect(fs.existsSync(path.join(sb.fleetHome, 'logs', 'compare'))).toBe(false);
  });

  it("runs compare_command from the config; a repository's only once trusted", async () => {
    await startScriptAgents(sb, repo, { 't-1': 'echo a > a.txt' }, 't');
    fs.writeFileSync(path.join(repo, '.fleet.toml'), 'compare_command = "echo from-the-repository; test -f a.txt"\n');
    const untrusted = await fleet(sb, ['compare', 't'], { cwd: repo });
    expect(untrusted.exitCode).toBe(2);
    expect(untrusted.stderr).toContain('warning: ignoring compare_command from');
    expect(untrusted.stderr).toContain('error: no check to run: give --run CMD, or set compare_command');
    expect(fs.existsSync(path.join(sb.fleetHome, 'logs', 'compare'))).toBe(false);

    expect((await fleet(sb, ['trust', '--yes'], { cwd: repo })).exitCode).toBe(0);
    const trusted = await fleet(sb, ['compare', 't', '--json'], { cwd: repo });
    expect(trusted.exitCode, trusted.stderr).toBe(0);
    const [row] = JSON.parse(trusted.stdout) as Array<{ check: { passed: boolean; log: string } }>;
    expect(row!.check.passed).toBe(true);
    expect(fs.readFileSync(row!.check.log, 'utf8')).toContain('from-the-repository');
  });

  it('Ctrl+C stops every running check with its processes and exits 130, keeping no result', async () => {
    await threeAgents();
    const started = path.join(sb.dir, 'started');
    fs.mkdirSync(started);
    const check = `touch ${started}/$FLEET_BRANCH; sh -c 'sleep 120' ${marker} & sleep 120`;
    const child = execa(process.execPath, [CLI, 'compare', 'cmp', '--run', check], { cwd: repo, env: sb.env, extendEnv: false, reject: false, detached: true });
    await waitFor(() => fs.readdirSync(started).length === 3, { what: 'all three checks to start', timeout: 20_000 });
    process.kill(-child.pid!, 'SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain('error: interrupted: the checks were stopped; nothing was kept');
    await waitFor(async () => (await execa('pgrep', ['-f', marker], { reject: false })).stdout === '', { what: 'the checks to be gone' });
    const pick = await fleet(sb, ['pick', '--best', 'cmp', '--yes'], { cwd: repo });
    expect(pick.stderr).toContain('error: batch "cmp" has not been compared');
  });
});
