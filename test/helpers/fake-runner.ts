import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import type { RepoContext } from '../../src/context.js';
import { ConfigManager } from '../../src/config/config-manager.js';
import { defaultConfig, type FleetConfig } from '../../src/config/schema.js';
import { FLEET_OPTIONS, FS, PANE_FORMAT, type FleetOption } from '../../src/core/parse.js';
import { CommandError, type RunOptions, type RunResult, type Runner } from '../../src/process/runner.js';
import { StateManager } from '../../src/state/state-manager.js';
import type { AgentRecord } from '../../src/state/types.js';
import type { Ui } from '../../src/ui/output.js';
import { FakeProcesses } from './fake-processes.js';

/** Which call a stub answers: the exact argv (program first), or a RegExp tested against the argv joined by spaces. */
export type ArgvMatcher = readonly string[] | RegExp;

export interface RecordedCall {
  argv: string[];
  cwd: string | undefined;
  env: Record<string, string | undefined> | undefined;
  input: string | undefined;
}

interface Stub {
  matcher: ArgvMatcher;
  cwd: string | undefined;
  result: RunResult;
  /** How many more calls it answers. */
  left: number;
}

const show = (argv: readonly string[]) => argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');

/**
 * A scripted stand-in for the process runner, like gh's run.Stub: each expected call is
 * registered with its answer; every call is recorded; a call nobody expected throws, and at the
 * end of the test both an unexpected call (even one the code under test caught) and an expected
 * call that never came fail the test. Non-zero answers throw CommandError unless the caller
 * passed reject: false, exactly as the real runner does.
 */
export class FakeRunner {
  readonly calls: RecordedCall[] = [];
  private readonly stubs: Stub[] = [];
  private readonly unexpected: string[] = [];

  readonly run: Runner = async (cmd, args, opts: RunOptions = {}) => {
    const argv = [cmd, ...args];
    this.calls.push({ argv, cwd: opts.cwd, env: opts.env, input: typeof opts.input === 'string' || opts.input === undefined ? opts.input : Buffer.from(opts.input).toString('utf8') });
    const stub = this.stubs.find((s) => s.left > 0 && matches(s.matcher, argv) && (s.cwd === undefined || s.cwd === opts.cwd));
    if (!stub) {
      const what = `${show(argv)}  (cwd ${opts.cwd ?? '-'})`;
      this.unexpected.push(what);
      throw new Error(`fake runner: unexpected call: ${what}`);
    }
    stub.left--;
    if (opts.reject !== false && stub.result.exitCode !== 0) throw new CommandError(argv, stub.result);
    return { ...stub.result };
  };

  /** Expect a call (once, or `times`), in `cwd` when given, and answer it (exit 0 and no output unless said). */
  on(matcher: ArgvMatcher, result: Partial<RunResult> = {}, opts: { cwd?: string; times?: number } = {}): this {
    this.stubs.push({ matcher, cwd: opts.cwd, result: { stdout: '', stderr: '', exitCode: 0, ...result }, left: opts.times ?? 1 });
    return this;
  }

  /** The recorded calls of one program, as argv strings (for asserting order or absence). */
  callsOf(cmd: string): string[] {
    return this.calls.filter((c) => c.argv[0] === cmd).map((c) => show(c.argv));
  }

  /** Fails (throws) when a call came that nobody expected, or an expected one never came. */
  verify(): void {
    const problems = [
      ...this.unexpected.map((u) => `unexpected call: ${u}`),
      ...this.stubs.filter((s) => s.left > 0 && Number.isFinite(s.left)).map((s) => `expected call never made: ${s.matcher instanceof RegExp ? String(s.matcher) : show(s.matcher)}`),
    ];
    if (problems.length > 0) throw new Error(`fake runner:\n  ${problems.join('\n  ')}`);
  }
}

function matches(m: ArgvMatcher, argv: readonly string[]): boolean {
  if (m instanceof RegExp) return m.test(argv.join(' '));
  return m.length === argv.length && m.every((a, i) => a === argv[i]);
}

/** A fake runner checked when the current test finishes. */
export function fakeRunner(): FakeRunner {
  const f = new FakeRunner();
  onTestFinished(() => f.verify());
  return f;
}

/** What a test context printed. */
export interface RecordedUi extends Ui {
  outs: string[];
  notes: string[];
  warnings: string[];
}

function recordingUi(): RecordedUi {
  const ui: RecordedUi = {
    outs: [],
    notes: [],
    warnings: [],
    out: (t) => void ui.outs.push(t),
    note: (t) => void ui.notes.push(t),
    warn: (t) => void ui.warnings.push(t),
    isTTY: false,
    color: false,
    liveProgress: false,
  };
  return ui;
}

export interface TestContext extends RepoContext {
  ui: RecordedUi;
  procs: FakeProcesses;
  /** A private temp directory (the fleet home is in it; worktree_root is <dir>/worktrees). */
  dir: string;
}

/**
 * A repository context for running operations in-process: the given fake runner, a real
 * StateManager holding `records` in a temp fleet home, the default config (plus `config`), and
 * a repository at `repoRoot` (which need not exist: git is the fake's to answer).
 */
export async function fakeContext(
  run: FakeRunner,
  opts: { records?: AgentRecord[]; config?: Partial<FleetConfig>; repoRoot?: string } = {},
): Promise<TestContext> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-unit-')));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  const home = path.join(dir, 'fleet');
  const env = { HOME: path.join(dir, 'home'), AI_FLEET_HOME: home, PATH: process.env.PATH };
  const state = new StateManager(home);
  if (opts.records) {
    const records = opts.records;
    await state.update(() => records);
  }
  const root = opts.repoRoot ?? '/repo';
  return {
    run: run.run,
    procs: new FakeProcesses(),
    configs: new ConfigManager(env),
    ui: recordingUi(),
    cwd: root,
    env,
    state,
    config: { ...defaultConfig(home), worktree_root: path.join(dir, 'worktrees'), ...opts.config },
    configFiles: [],
    configReport: { userFile: path.join(home, 'config.toml'), repoFile: null, sources: {}, ignored: [] },
    repo: { root, toplevel: root, name: path.basename(root), commonDir: path.join(root, '.git') },
    dir,
  };
}

/** An agent record with everything filled in; `over` replaces fields. */
export function record(branch: string, over: Partial<AgentRecord> = {}): AgentRecord {
  return {
    repo: '/repo',
    repo_name: 'repo',
    branch,
    batch_id: null,
    agent: 'shell',
    session: `fleet_repo_${branch}`,
    worktree: `/nowhere/${branch}`,
    base_commit: 'b'.repeat(40),
    base_ref: 'main',
    created_branch: true,
    copied_files: [],
    created_at: '2025-01-01T00:00:00.000Z',
    prompt_preview: 'do it',
    phase: 'ready',
    owner_pid: null,
    owner_start: null,
    issue: null,
    ...over,
  };
}

/** The argv of fleet's one `tmux list-panes` call. */
export const LIST_PANES = ['tmux', 'list-panes', '-a', '-F', PANE_FORMAT];

/** The argv of the call that reads a session's pane pids before it is ended (endAgentProcesses). */
export const sessionPanes = (session: string) => ['tmux', 'list-panes', '-s', '-t', `=${session}`, '-F', '#{pane_dead} #{pane_pid} #{pid}'];
/** The argv of the call that asks for the tmux server's pid when there is no session to ask. */
export const SERVER_PID = ['tmux', 'list-sessions', '-F', '#{pid}'];

/**
 * Script the tmux reads of endAgentProcesses for `session`: its panes' pids (none: the session
 * is gone, then the server's pid is asked instead). Live panes get pids from 4300 up.
 */
export function onSessionPanes(f: FakeRunner, session: string, panes: number[] | null): void {
  if (panes === null) {
    f.on(sessionPanes(session), { exitCode: 1, stderr: `can't find session: ${session}` });
    f.on(SERVER_PID, { exitCode: 1, stderr: 'no server running' });
  } else {
    f.on(sessionPanes(session), { stdout: panes.map((p) => `0 ${p} 4242`).join('\n') });
  }
}

/** One line of `tmux list-panes -F PANE_FORMAT` output. */
export function paneLine(p: { session: string; pid?: number; dead?: boolean; status?: number; fleet?: Partial<Record<FleetOption, string>> }): string {
  const fleet = p.fleet ?? {};
  const fields = [
    p.session, '%1', String(p.pid ?? 4242), p.dead ? '1' : '0', p.status === undefined ? '' : String(p.status),
    String(Math.floor(Date.now() / 1000)), '1700000000', 'bash',
    ...FLEET_OPTIONS.map((k) => fleet[k] ?? ''),
    // No dead signal, and no server pid: listPanes must never signal a real process from a test.
    '', '',
  ];
  return fields.join(FS);
}

/** `git worktree list --porcelain` output for these worktrees (the main checkout first). */
export function porcelain(entries: { path: string; branch?: string | null; locked?: boolean; prunable?: boolean }[]): string {
  return entries
    .map((e) =>
      [
        `worktree ${e.path}`,
        `HEAD ${'a'.repeat(40)}`,
        e.branch ? `branch refs/heads/${e.branch}` : 'detached',
        ...(e.locked ? ['locked'] : []),
        ...(e.prunable ? ['prunable gitdir file points to non-existent location'] : []),
      ].join('\n'),
    )
    .join('\n\n') + '\n';
}
