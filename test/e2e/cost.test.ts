import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, startScriptAgents, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';
import { claudeReply, lines } from '../helpers/transcripts.js';

let sb: Sandbox;
let repo: string;

const SONNET = 'claude-sonnet-4-5-20250929';
// "claude" agents here are bash running their prompt, which writes a transcript where Claude Code
// would (~/.claude/projects/<its cwd with every non-alphanumeric character as "-">/<session>.jsonl):
// the built-in claude kind's transcript facts stay with the name when the user replaces its command.
// `hooks = "none"`: bash takes no claude flags (a replaced claude keeps its hooks otherwise).
const CONFIG = 'default_agent = "claude"\n[agents.claude]\ncommand = "bash -c"\nhooks = "none"\n';

/** Three replies, each written as three content-block lines (the first two with message_start's usage). */
const KNOWN = lines(
  claudeReply({ id: 'msg_1', requestId: 'req_1', model: SONNET, blocks: 3, usage: { input_tokens: 1_000, output_tokens: 2_000, cache_read_input_tokens: 10_000, cache_creation_input_tokens: 4_000 }, earlyUsage: { input_tokens: 1_000, output_tokens: 1, cache_read_input_tokens: 10_000, cache_creation_input_tokens: 4_000 } }),
  claudeReply({ id: 'msg_2', requestId: 'req_2', model: SONNET, blocks: 3, usage: { input_tokens: 2_000, output_tokens: 3_000, cache_read_input_tokens: 20_000 } }),
  claudeReply({ id: 'msg_3', requestId: 'req_3', model: SONNET, blocks: 3, usage: { input_tokens: 500, output_tokens: 500 } }),
);
// By hand: 3,500 in x $3 + 5,500 out x $15 + 30,000 cache reads x $0.30 + 4,000 cache writes x $3.75 (per million) = $0.117.
const KNOWN_USD = 0.117;
const UNKNOWN = lines(claudeReply({ id: 'msg_u', requestId: 'req_u', model: 'claude-imaginary-9', blocks: 2, usage: { input_tokens: 1_000, output_tokens: 100 } }));

function transcriptFile(name: string, text: string): string {
  const f = path.join(sb.dir, `${name}.jsonl`);
  fs.writeFileSync(f, text);
  return f;
}

/** The agent's script: put its transcript where Claude Code keeps the sessions of its cwd. */
const writesTranscript = (file: string) =>
  `d="$HOME/.claude/projects/$(pwd -P | sed 's/[^a-zA-Z0-9]/-/g')"; mkdir -p "$d"; cp ${file} "$d/4b1c5c2e-8d4e-4a51-9d3c-0d2a3c7e9f10.jsonl"`;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, CONFIG);
  const known = transcriptFile('known', KNOWN);
  const unknown = transcriptFile('unknown', UNKNOWN);
  await startScriptAgents(sb, repo, { 'cb-1': writesTranscript(known), 'cb-2': writesTranscript(known) }, 'cb');
  await startScriptAgents(sb, repo, { unk: writesTranscript(unknown) }, null);
  const shell = await fleet(sb, ['create', 'sh', '--agent', 'shell', '-p', 'sleep 300'], { cwd: repo });
  expect(shell.exitCode, shell.stderr).toBe(0);
});
afterEach(async () => {
  await sb.cleanup();
});

type Usage = { model: string; input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number; cost_usd: number | null; unpriced: string[] };

describe('usage in fleet list', () => {
  it("reads each agent's transcript once per message; TOKENS and COST columns, ? for an unknown model, batch totals", async () => {
    const json = await fleet(sb, ['list', '--json'], { cwd: repo });
    expect(json.exitCode, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<{ branch: string; usage: Usage | null }>;
    const by = Object.fromEntries(rows.map((r) => [r.branch, r.usage]));
    expect(by['cb-1']).toMatchObject({ model: SONNET, input_tokens: 3_500, output_tokens: 5_500, cache_read_tokens: 30_000, cache_write_tokens: 4_000, unpriced: [] });
    expect(by['cb-1']!.cost_usd).toBeCloseTo(KNOWN_USD, 9);
    expect(by.unk).toMatchObject({ model: 'claude-imaginary-9', input_tokens: 1_000, output_tokens: 100, cost_usd: null, unpriced: ['claude-imaginary-9'] });
    expect(by.sh).toBeNull(); // a shell agent keeps no transcript: no number is made up
    expect(rows.every((r) => 'usage' in r)).toBe(true);

    const table = await fleet(sb, ['list'], { cwd: repo });
    const line = (b: string) => table.stdout.split('\n').find((l) => l.startsWith(`${b} `))!;
    expect(table.stdout.split('\n')[0]).toMatch(/\bTOKENS\s+COST\b/);
    expect(line('cb-1')).toMatch(/\s43\.0k\s+\$0\.12\s/);
    expect(line('unk')).toMatch(/\s1\.1k\s+\?\s/);
    expect(line('sh')).toMatch(/\s-\s+-\s/);

    const grouped = await fleet(sb, ['list', '--grouped'], { cwd: repo });
    expect(grouped.stdout).toMatch(/^cb · 2 agents · 86\.0k tokens · \$0\.23 · 2 different prompts$/m);
    // One agent's model has no price: that group's total is unknown, not understated.
    expect(grouped.stdout).toMatch(/^no batch · 2 agents · 1\.1k tokens · \?$/m);
  });
});

describe('fleet cost', () => {
  it('lists each agent and each model with totals, says which model has no price, and keeps a killed agent', async () => {
    const r = await fleet(sb, ['cost'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = r.stdout.split('\n');
    expect(out[0]).toMatch(/^BRANCH\s+BATCH\s+AGENT\s+STATUS\s+MODEL\s+INPUT\s+OUTPUT\s+CACHE READ\s+CACHE WRITE\s+COST$/);
    expect(out.find((l) => l.startsWith('cb-1 '))).toMatch(/cb\s+claude\s+\S+\s+claude-sonnet-4-5-20250929\s+3\.5k\s+5\.5k\s+30\.0k\s+4\.0k\s+\$0\.12$/);
    expect(out.find((l) => l.startsWith('unk '))).toMatch(/claude-imaginary-9\s+1\.0k\s+100\s+0\s+0\s+\?$/);
    expect(out.find((l) => l.startsWith('sh '))).toMatch(/shell\s+\S+\s+-\s+-\s+-\s+-\s+-\s+-$/);
    expect(out.find((l) => l.startsWith('claude-sonnet-4-5-20250929 '))).toMatch(/\s2\s+7\.0k\s+11\.0k\s+60\.0k\s+8\.0k\s+\$0\.23$/);
    // One model has no price: the total is unknown, never quietly understated.
    expect(out.find((l) => l.startsWith('total '))).toMatch(/\s3\s+8\.0k\s+11\.1k\s+60\.0k\s+8\.0k\s+\?$/);
    expect(r.stderr).toContain('note: no price for model "claude-imaginary-9", so cost shows "?"');
    expect(r.stderr).toContain('[pricing."claude-imaginary-9"]');

    const killed = await fleet(sb, ['kill', 'cb-1'], { cwd: repo });
    expect(killed.exitCode, killed.stderr).toBe(0);
    expect(fs.statSync(path.join(sb.fleetHome, 'usage-history.jsonl')).mode & 0o777).toBe(0o600);

    const after = await fleet(sb, ['cost', '--batch', 'cb', '--json'], { cwd: repo });
    expect(after.exitCode, after.stderr).toBe(0);
    const report = JSON.parse(after.stdout) as { agents: Array<{ branch: string; status: string; ended_at: string | null; usage: Usage }>; models: Array<{ model: string; agents: number }>; total: { cost_usd: number; agents: number } };
    expect(report.agents.map((a) => [a.branch, a.status === 'ended'])).toEqual([['cb-1', true], ['cb-2', false]]);
    expect(report.agents[0]!.ended_at).not.toBeNull();
    expect(report.agents[0]!.usage.cost_usd).toBeCloseTo(KNOWN_USD, 9);
    expect(report.models).toMatchObject([{ model: SONNET, agents: 2 }]);
    expect(report.total.agents).toBe(2);
    expect(report.total.cost_usd).toBeCloseTo(2 * KNOWN_USD, 9);

    const one = await fleet(sb, ['cost', 'cb-1'], { cwd: repo });
    expect(one.stdout).toMatch(/^cb-1\s+cb\s+claude\s+ended\s+claude-sonnet-4-5-20250929\s.*\$0\.12$/m);
  });

  it('filters by --since and refuses what it cannot read', async () => {
    const future = await fleet(sb, ['cost', '--since', '2999-01-01'], { cwd: repo });
    expect(future.exitCode).toBe(0);
    expect(future.stdout).toBe('no agents in this repository');
    const recent = await fleet(sb, ['cost', '--since', '1h', '--json'], { cwd: repo });
    expect((JSON.parse(recent.stdout) as { agents: unknown[] }).agents).toHaveLength(4);
    const bad = await fleet(sb, ['cost', '--since', 'last tuesday'], { cwd: repo });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('error: --since "last tuesday" is not a date\nhint: e.g. --since 2026-11-01, --since 2026-11-01T09:00, or --since 7d (also 12h, 30m)');
    const none = await fleet(sb, ['cost', 'nope'], { cwd: repo });
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('error: no agent on branch "nope" in this repository, live or ended');
  });
});

describe('prices and budgets from the config', () => {
  it('[pricing."model"] prices a model the table lacks, from the user file or a repository file without trust', async () => {
    writeConfig(sb, `${CONFIG}[pricing."claude-imaginary-9"]\ninput = 10.0\noutput = 100.0\n`);
    const rows = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout) as Array<{ branch: string; usage: Usage | null }>;
    // 1,000 in x $10 + 100 out x $100, per million.
    expect(rows.find((r) => r.branch === 'unk')!.usage).toMatchObject({ cost_usd: 0.02, unpriced: [] });

    writeConfig(sb, CONFIG);
    fs.writeFileSync(path.join(repo, '.fleet.toml'), '[pricing."claude-imaginary-9"]\ninput = 20.0\noutput = 0\n');
    const r = await fleet(sb, ['cost', 'unk', '--json'], { cwd: repo });
    expect(r.stderr).toBe(''); // harmless: no trust needed, nothing ignored
    expect((JSON.parse(r.stdout) as { total: { cost_usd: number } }).total.cost_usd).toBe(0.02);

    fs.writeFileSync(path.join(repo, '.fleet.toml'), '[pricing."claude-imaginary-9"]\ninput = "cheap"\n');
    const bad = await fleet(sb, ['cost'], { cwd: repo });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('pricing."claude-imaginary-9".input in');
    expect(bad.stderr).toContain('must be a number of USD per million tokens');
  });

  it('an agent over its budget gets the reason and one notification; budget_usd is the default, --budget overrides it', async () => {
    const heard = path.join(sb.dir, 'notified');
    writeConfig(sb, `budget_usd = 1\nnotify_command = 'echo "$FLEET_BRANCH|$FLEET_STATUS|$FLEET_REASON|$FLEET_REPO|$FLEET_SESSION" >> ${heard}'\n${CONFIG}`);
    const known = transcriptFile('known-2', KNOWN);
    await startScriptAgents(sb, repo, { tight: writesTranscript(known) }, null);
    // startScriptAgents has no --budget: give the second one its own through create.
    const made = await fleet(sb, ['create', 'capped', '--budget', '0.05', '-p', `${writesTranscript(known)}; sleep 300`], { cwd: repo });
    expect(made.exitCode, made.stderr).toBe(0);
    // Poll the file, not fleet list: a list would already notice the budget.
    const worktree = path.join(sb.fleetHome, 'worktrees', 'repo', 'capped');
    await waitFor(() => fs.existsSync(path.join(sb.home, '.claude', 'projects', worktree.replace(/[^a-zA-Z0-9]/g, '-'), '4b1c5c2e-8d4e-4a51-9d3c-0d2a3c7e9f10.jsonl')), { what: 'the capped agent to write its transcript' });

    const first = await fleet(sb, ['list', '--json'], { cwd: repo });
    const rows = JSON.parse(first.stdout) as Array<{ branch: string; session: string; budget_usd: number | null; state_reason: string | null }>;
    const by = Object.fromEntries(rows.map((r) => [r.branch, r]));
    expect(by.capped).toMatchObject({ budget_usd: 0.05, state_reason: 'over budget ($0.12 of $0.05)' });
    expect(by.tight).toMatchObject({ budget_usd: 1, state_reason: null });
    expect(by['cb-1']).toMatchObject({ budget_usd: null, state_reason: null }); // made before budget_usd was set
    expect(first.stderr).toContain('warning: "capped" is over budget ($0.12 of $0.05)');
    // notify_command hears it too, with which agent and why.
    const session = rows.find((r) => r.branch === 'capped')!.session;
    await waitFor(() => fs.existsSync(heard) && fs.readFileSync(heard, 'utf8').includes('\n'), { what: 'notify_command to run' });

    const again = await fleet(sb, ['list'], { cwd: repo });
    expect(again.stderr).not.toContain('over budget'); // told once
    expect(fs.readFileSync(heard, 'utf8')).toBe(`capped|over-budget|over budget ($0.12 of $0.05)|${repo}|${session}\n`);
    expect(again.stdout.split('\n').find((l) => l.startsWith('capped '))).toMatch(/\$0\.12\/\$0\.05\s/);
    const cost = await fleet(sb, ['cost', 'capped'], { cwd: repo });
    expect(cost.stdout.split('\n')[0]).toMatch(/COST\s+BUDGET$/);
    expect(cost.stdout.split('\n')[1]).toMatch(/\$0\.12\s+\$0\.05$/);

    const bad = await fleet(sb, ['create', 'x', '--budget', 'lots', '-p', 'true'], { cwd: repo });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('error: --budget must be an amount of USD above 0 (got "lots")\nhint: e.g. fleet create x --budget 5 (or --budget 2.50)');
  });
});
