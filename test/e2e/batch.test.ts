import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, readState, standIn, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let received: string;

/** A stand-in agent per name: writes its name and its one prompt argument, byte for byte, then waits. */
function agents(...names: string[]): string {
  received = path.join(sb.dir, 'received');
  fs.mkdirSync(received, { recursive: true });
  return names
    .map((n) => {
      const bin = standIn(sb, n, `printf '%s' "$1" > "${received}/$FLEET_BRANCH.prompt"; printf '%s' "${n}" > "${received}/$FLEET_BRANCH.agent"; exec sleep 300`);
      return `[agents.${n}]\ncommand = "${bin}"\n`;
    })
    .join('');
}

const prompt = (branch: string) => fs.readFileSync(path.join(received, `${branch}.prompt`), 'utf8');
const ranAs = (branch: string) => fs.readFileSync(path.join(received, `${branch}.agent`), 'utf8');
const gotPrompt = (branch: string) => fs.existsSync(path.join(received, `${branch}.agent`));

async function sessions(): Promise<string[]> {
  const r = await sb.tmux('list-sessions', '-F', '#{session_name}');
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean).sort() : [];
}

/** Branches of `git worktree list`, main checkout excluded. */
async function worktreeBranches(): Promise<string[]> {
  const out = await sb.git(repo, 'worktree', 'list', '--porcelain');
  return out.split('\n').filter((l) => l.startsWith('branch ')).map((l) => l.slice('branch refs/heads/'.length)).filter((b) => b !== 'main').sort();
}

async function branches(): Promise<string[]> {
  return (await sb.git(repo, 'branch', '--format=%(refname:short)')).split('\n').filter((b) => b && b !== 'main').sort();
}

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
});
afterEach(async () => {
  await sb.cleanup();
});

describe('fanout', () => {
  it('makes N agents with the exact same prompt in one batch, and kill --batch leaves nothing of them', async () => {
    writeConfig(sb, `default_agent = "rec"\n${agents('rec')}`);
    const text = `Refactor: the "auth" module; keep $(whoami) and \`id\` literal\nsecond line ✓ 'quoted'`;
    const r = await fleet(sb, ['fanout', '4', 'cmp', '--prompt', text], { cwd: repo });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.exitCode).toBe(0);
    const names = ['cmp-1', 'cmp-2', 'cmp-3', 'cmp-4'];
    expect(r.stdout.split('\n')[0]).toBe('batch cmp: 4 agents started');
    // No terminal: one plain line per finished agent.
    for (const b of names) expect(r.stderr).toMatch(new RegExp(`^${b}: ready \\(rec, \\d+\\.\\ds\\)$`, 'm'));

    expect(await sessions()).toEqual(names.map((b) => `fleet_repo_${b}`));
    expect(await worktreeBranches()).toEqual(names);
    const state = readState(sb).agents;
    expect(state.map((a) => a.branch)).toEqual(names); // in the batch's order, whatever order set-up finished in
    for (const a of state) expect(a).toMatchObject({ batch_id: 'cmp', phase: 'ready', agent: 'rec' });
    await waitFor(() => names.every(gotPrompt), { what: 'every agent to start' });
    for (const b of names) expect(prompt(b)).toBe(text);

    const k = await fleet(sb, ['kill', '--batch', 'cmp', '--yes'], { cwd: repo });
    expect(k.exitCode).toBe(0);
    expect(await sessions()).toEqual([]);
    expect(await worktreeBranches()).toEqual([]);
    expect(readState(sb).agents).toEqual([]);
    expect(fs.readdirSync(path.join(sb.fleetHome, 'worktrees')).flatMap((d) => fs.readdirSync(path.join(sb.fleetHome, 'worktrees', d)))).toEqual([]);
    // The branches are the user's work: kept, as with kill of one agent.
    expect(await branches()).toEqual(names);
  });

  it('generates and prints a batch id when no prefix is given; --json prints the records', async () => {
    writeConfig(sb, `default_agent = "rec"\n${agents('rec')}`);
    const r = await fleet(sb, ['fanout', '2', '-p', 'go', '--json'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    const id = /^batch (fanout-[0-9a-z]{6}) \(generated/m.exec(r.stderr)?.[1];
    expect(id).toBeDefined();
    const records = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(records.map((x) => [x.branch, x.batch_id, x.phase])).toEqual([[`${id}-1`, id, 'ready'], [`${id}-2`, id, 'ready']]);
  });

  it('mixes agents with --agents, and each record keeps the agent that runs', async () => {
    writeConfig(sb, agents('alpha', 'beta'));
    const r = await fleet(sb, ['fanout', '3', 'mix', '--agents', 'alpha:2,beta:1', '-p', 'compare', '--json'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    const records = JSON.parse(r.stdout) as Array<{ branch: string; agent: string }>;
    expect(records.map((x) => [x.branch, x.agent])).toEqual([['mix-1', 'alpha'], ['mix-2', 'alpha'], ['mix-3', 'beta']]);
    await waitFor(() => ['mix-1', 'mix-2', 'mix-3'].every(gotPrompt));
    expect(['mix-1', 'mix-2', 'mix-3'].map(ranAs)).toEqual(['alpha', 'alpha', 'beta']);
    expect(readState(sb).agents.map((a) => [a.branch, a.agent]).sort()).toEqual([['mix-1', 'alpha'], ['mix-2', 'alpha'], ['mix-3', 'beta']]);
  });

  it('refuses before making anything when one of the branches has an agent or a worktree, or count is bad', async () => {
    writeConfig(sb, `default_agent = "rec"\n${agents('rec')}`);
    expect((await fleet(sb, ['create', 'cmp-2', '-p', 'first'], { cwd: repo })).exitCode).toBe(0);
    const r = await fleet(sb, ['fanout', '3', 'cmp', '-p', 'again'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: branch "cmp-2" already has an agent; nothing was made$/m);
    expect(r.stderr).toMatch(/^hint: .*pick another prefix/m);
    expect(await worktreeBranches()).toEqual(['cmp-2']);
    expect(await branches()).toEqual(['cmp-2']);
    expect(readState(sb).agents.map((a) => a.branch)).toEqual(['cmp-2']);

    // A worktree someone made by hand on one of the branches.
    await sb.git(repo, 'worktree', 'add', '-q', '-b', 'hand-2', path.join(sb.dir, 'elsewhere'));
    const w = await fleet(sb, ['fanout', '2', 'hand', '-p', 'x'], { cwd: repo });
    expect(w.exitCode).toBe(1);
    expect(w.stderr).toMatch(/^error: branch "hand-2" is already checked out at .*elsewhere; nothing was made$/m);
    expect(await branches()).toEqual(['cmp-2', 'hand-2']);

    for (const [count, code] of [['0', 2], ['101', 2], ['2.5', 2], ['many', 2]] as const) {
      const bad = await fleet(sb, ['fanout', count, 'ok', '-p', 'x'], { cwd: repo });
      expect(bad.exitCode).toBe(code);
      expect(bad.stderr).toMatch(/^error: count must be a whole number from 1 to 100/m);
    }
    const noPrompt = await fleet(sb, ['fanout', '2', 'ok'], { cwd: repo });
    expect(noPrompt.exitCode).toBe(2);
    expect(noPrompt.stderr).toMatch(/^error: missing --prompt$/m);
    const both = await fleet(sb, ['fanout', '2', 'ok', '-p', 'x', '--agent', 'rec', '--agents', 'rec:2'], { cwd: repo });
    expect(both.exitCode).toBe(2);
    const sum = await fleet(sb, ['fanout', '2', 'ok', '-p', 'x', '--agents', 'rec:3'], { cwd: repo });
    expect(sum.exitCode).toBe(2);
    expect(sum.stderr).toMatch(/adds up to 3 agent\(s\), but count is 2/);
    for (const out of [noPrompt, both, sum]) expect(out.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readState(sb).agents.map((a) => a.branch)).toEqual(['cmp-2']);
    expect(await branches()).toEqual(['cmp-2', 'hand-2']);
  });

  it('rolls back only the agent whose setup fails, keeps the others, prints the log tail and exits 1', async () => {
    writeConfig(sb, [
      'default_agent = "rec"',
      'max_parallel = 2',
      `setup_commands = ['echo "setting up $FLEET_BRANCH"', 'if [ "$FLEET_BRANCH" = cmp-2 ]; then echo "boom in $FLEET_BRANCH" >&2; exit 3; fi']`,
      agents('rec'),
    ].join('\n'));
    const r = await fleet(sb, ['fanout', '4', 'cmp', '-p', 'go'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^cmp-2: failed: setup command failed for "cmp-2" \(exit 3\)/m);
    expect(r.stderr).toMatch(/^ {2}\| boom in cmp-2$/m); // the setup log's tail
    expect(r.stderr).toMatch(/^error: 1 of 4 agents could not be made and were rolled back: cmp-2; the other 3 are running$/m);
    expect(r.stdout.split('\n')[0]).toBe('batch cmp: 3 of 4 agents started');

    const kept = ['cmp-1', 'cmp-3', 'cmp-4'];
    expect(await sessions()).toEqual(kept.map((b) => `fleet_repo_${b}`));
    expect(await worktreeBranches()).toEqual(kept);
    expect(await branches()).toEqual(kept); // the branch fleet made for cmp-2 is gone too
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'repo', 'cmp-2'))).toBe(false);
    expect(readState(sb).agents.map((a) => [a.branch, a.phase]).sort()).toEqual(kept.map((b) => [b, 'ready']));
    await waitFor(() => kept.every(gotPrompt), { what: 'the kept agents to run' });
    expect(gotPrompt('cmp-2')).toBe(false);
  });
});

describe('multi', () => {
  it('gives each agent everything after the first colon, in one batch', async () => {
    writeConfig(sb, `default_agent = "rec"\n${agents('rec')}`);
    const r = await fleet(sb, ['multi', 'fix-login:Fix login', 'api:Rename: user:id -> user_id', '--batch', 'work'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('batch work: 2 agents started');
    await waitFor(() => gotPrompt('fix-login') && gotPrompt('api'));
    expect(prompt('fix-login')).toBe('Fix login');
    expect(prompt('api')).toBe('Rename: user:id -> user_id');
    expect(readState(sb).agents.map((a) => [a.branch, a.batch_id]).sort()).toEqual([['api', 'work'], ['fix-login', 'work']]);
  });

  it('checks every pair before making anything: duplicates, missing colons and bad names are refused', async () => {
    writeConfig(sb, `default_agent = "rec"\n${agents('rec')}`);
    const cases: Array<[string[], RegExp]> = [
      [['a:one', 'b:two', 'a:three'], /^error: branch "a" is given twice$/m],
      [['a:one', 'no colon here'], /^error: "no colon here" is not a branch:prompt pair$/m],
      [['a:one', 'bad..name:x'], /^error: invalid branch name "bad\.\.name"/m],
      [['a:one', 'b:'], /^error: the prompt for "b" is empty$/m],
      [['a:one', 'b:two', '--batch', 'has space'], /^error: invalid batch id "has space"/m],
    ];
    for (const [args, message] of cases) {
      const r = await fleet(sb, ['multi', ...args], { cwd: repo });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^hint: /m);
    }
    expect(readState(sb).agents).toEqual([]);
    expect(await branches()).toEqual([]);
    expect(await sessions()).toEqual([]);
  });
});

describe('list --grouped', () => {
  it('shows rows under a header per batch with its size and prompt', async () => {
    writeConfig(sb, `default_agent = "rec"\n${agents('rec')}`);
    expect((await fleet(sb, ['fanout', '2', 'cmp', '-p', 'Refactor the auth module'], { cwd: repo })).exitCode).toBe(0);
    expect((await fleet(sb, ['create', 'solo', '-p', 'alone'], { cwd: repo })).exitCode).toBe(0);
    const r = await fleet(sb, ['list', '--grouped'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^ {2}BRANCH\s+AGENT\s+STATUS/);
    expect(lines[0]).not.toMatch(/BATCH/);
    expect(lines.slice(1).map((l) => l.replace(/^( {2}\S+).*$/, '$1'))).toEqual([
      'cmp · 2 agents · "Refactor the auth module"',
      '  cmp-1',
      '  cmp-2',
      'no batch · 1 agent',
      '  solo',
    ]);
  });
});

describe('kill --batch on a terminal', () => {
  it('asks once for the whole batch; "n" keeps them all, "y" ends them all', async () => {
    writeConfig(sb, `default_agent = "rec"\n${agents('rec')}`);
    expect((await fleet(sb, ['fanout', '3', 'cmp', '-p', 'x'], { cwd: repo })).exitCode).toBe(0);
    // `script` gives fleet a real pseudo-terminal, as a user's terminal would.
    const onTerminal = async (answer: string) => {
      const p = execa('script', ['-qfec', `${process.execPath} ${CLI} kill --batch cmp`, '/dev/null'], {
        cwd: repo, env: { ...sb.env, TERM: 'xterm' }, extendEnv: false, reject: false, stdin: 'pipe',
      });
      let seen = '';
      p.stdout.on('data', (d) => (seen += String(d)));
      await waitFor(() => /\[y\/N\]/.test(seen), { what: 'the question' });
      p.stdin.write(`${answer}\n`);
      const r = await p;
      return { exitCode: r.exitCode, out: seen };
    };
    const no = await onTerminal('n');
    expect(no.out.match(/\[y\/N\]/g)).toHaveLength(1);
    expect(no.out).toMatch(/end 3 agents of batch "cmp" \(cmp-1, cmp-2, cmp-3\)\?/);
    expect(no.exitCode).toBe(1);
    expect(await sessions()).toHaveLength(3);
    const yes = await onTerminal('y');
    expect(yes.out.match(/\[y\/N\]/g)).toHaveLength(1);
    expect(yes.exitCode).toBe(0);
    expect(await sessions()).toEqual([]);
    expect(readState(sb).agents).toEqual([]);
  });
});

describe('fanout on a terminal', () => {
  it('draws one live line per agent and ends with every agent ready', async () => {
    writeConfig(sb, `default_agent = "rec"\n${agents('rec')}`);
    const r = await execa('script', ['-qfec', `${process.execPath} ${CLI} fanout 3 live -p x`, '/dev/null'], {
      cwd: repo, env: { ...sb.env, TERM: 'xterm', COLUMNS: '100', LINES: '30' }, extendEnv: false, reject: false, stdin: 'ignore',
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\x1b\[3A/); // redrawn in place: up over the 3 agent lines
    const last = r.stdout.split('\x1b[J').at(-1)!; // the final frame
    for (const b of ['live-1', 'live-2', 'live-3']) expect(last).toMatch(new RegExp(`✔ ${b}\\s+rec\\s+ready \\d+\\.\\ds`));
    expect(r.stdout).toMatch(/batch live: 3 agents started/);
  });
});
