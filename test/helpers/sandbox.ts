import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/**
 * A private world for one test: its own HOME, AI_FLEET_HOME and tmux server (TMUX_TMPDIR),
 * so nothing touches the user's tmux or ~/.ai_fleet. cleanup() kills that tmux server.
 */
export interface Sandbox {
  dir: string;
  home: string;
  fleetHome: string;
  env: Record<string, string | undefined>;
  /** Make a git repository with one commit; returns its path. */
  repo(name?: string, files?: Record<string, string>): Promise<string>;
  git(cwd: string, ...args: string[]): Promise<string>;
  tmux(...args: string[]): Promise<{ stdout: string; exitCode: number }>;
  cleanup(): Promise<void>;
}

/** The CLI under test: the built bundle (FLEET_CLI overrides, so helpers can build elsewhere). */
export const CLI = process.env.FLEET_CLI ?? fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export async function makeSandbox(): Promise<Sandbox> {
  // Short base path: tmux's socket path must stay under ~100 bytes.
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-')));
  const home = path.join(dir, 'home');
  const fleetHome = path.join(dir, 'fleet');
  const tmuxDir = path.join(dir, 't');
  for (const d of [home, tmuxDir]) fs.mkdirSync(d, { recursive: true });
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOME: home,
    AI_FLEET_HOME: fleetHome,
    TMUX_TMPDIR: tmuxDir,
    TMUX: undefined,
    TMUX_PANE: undefined,
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    GIT_AUTHOR_NAME: 'Fleet Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Fleet Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
    EDITOR: undefined,
    VISUAL: undefined,
  };
  fs.writeFileSync(path.join(home, '.gitconfig'), '[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n');

  const git = async (cwd: string, ...args: string[]) => (await execa('git', args, { cwd, env, extendEnv: false })).stdout;
  const sb: Sandbox = {
    dir,
    home,
    fleetHome,
    env,
    git,
    async repo(name = 'repo', files = { 'README.md': '# test repo\n' }) {
      const r = path.join(dir, name);
      fs.mkdirSync(r, { recursive: true });
      await git(r, 'init', '-q');
      for (const [f, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(r, f)), { recursive: true });
        fs.writeFileSync(path.join(r, f), content);
      }
      await git(r, 'add', '-A');
      await git(r, 'commit', '-q', '-m', 'initial commit');
      return r;
    },
    async tmux(...args: string[]) {
      const r = await execa('tmux', args, { env, extendEnv: false, reject: false });
      return { stdout: r.stdout, exitCode: r.exitCode ?? 1 };
    },
    async cleanup() {
      await execa('tmux', ['kill-server'], { env, extendEnv: false, reject: false });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return sb;
}

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Run the built CLI as a process, the way a user would. */
export async function fleet(
  sb: Sandbox,
  args: string[],
  opts: { cwd?: string; input?: string; env?: Record<string, string | undefined>; timeout?: number } = {},
): Promise<CliResult> {
  const r = await execa(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? sb.dir,
    env: { ...sb.env, ...opts.env },
    extendEnv: false,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
    reject: false,
    timeout: opts.timeout ?? 60_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? 1 };
}

type Truthy<T> = Exclude<T, false | null | undefined | '' | 0>;

/** Poll `check` until it returns a truthy value or the deadline passes (no blind sleeps). */
export async function waitFor<T>(check: () => T | Promise<T>, opts: { timeout?: number; interval?: number; what?: string } = {}): Promise<Truthy<T>> {
  const deadline = Date.now() + (opts.timeout ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as Truthy<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${last instanceof Error ? String(last) : JSON.stringify(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.interval ?? 50));
  }
}

/** Paths of every file under dir with its bytes, for before/after comparisons. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[path.relative(dir, p)] = fs.readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

/**
 * The arguments a stand-in recorded with `printf '%s\0' "$@" > FILE`, or false while it has not
 * (yet): the shell makes the file before printf writes it, and no arguments still write one NUL.
 */
export function recordedArgs(file: string): string[] | false {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  return text.endsWith('\0') && text.split('\0').slice(0, -1);
}

/** Write an executable stand-in agent script; returns its path. */
export function standIn(sb: Sandbox, name: string, body: string): string {
  const bin = path.join(sb.dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const p = path.join(bin, name);
  fs.writeFileSync(p, `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  return p;
}

export interface RecordingAgent {
  /** Config lines that declare it as the agent profile "rec" (append them to the config). */
  profile: string;
  /** What it recorded for `branch` so far: its prompt argument ('arg') or the bytes typed into it ('input'); null before it wrote any. */
  read(branch: string, what: 'arg' | 'input'): string | null;
  /** Wait for the prompt argument the agent on `branch` was started with. */
  prompt(branch: string): Promise<string>;
  /** Wait until what was typed into the agent on `branch` ends with Enter (CR on a raw terminal), and return all of it. */
  typed(branch: string): Promise<string>;
}

/**
 * The recording stand-in agent: it writes its prompt argument byte for byte to
 * `<branch>.arg` (renamed into place once whole, so a reader never sees half of it), prints
 * "agent <branch> ready", then records every byte typed into it, on a raw terminal, in
 * `<branch>.input`.
 */
export function recordingAgent(sb: Sandbox): RecordingAgent {
  const dir = path.join(sb.dir, 'received');
  fs.mkdirSync(dir, { recursive: true });
  const bin = standIn(
    sb,
    'rec-agent',
    `out=$1; shift
printf '%s' "$1" > "$out/$FLEET_BRANCH.arg.tmp" && mv "$out/$FLEET_BRANCH.arg.tmp" "$out/$FLEET_BRANCH.arg"
echo "agent $FLEET_BRANCH ready"
stty raw -echo
exec cat > "$out/$FLEET_BRANCH.input"`,
  );
  const read = (branch: string, what: 'arg' | 'input') => {
    const f = path.join(dir, `${branch}.${what}`);
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null;
  };
  return {
    profile: `[agents.rec]\ncommand = ["${bin}", "${dir}"]\n`,
    read,
    prompt: (branch) => waitFor(() => read(branch, 'arg'), { what: `the prompt of the agent on "${branch}"` }),
    typed: (branch) =>
      waitFor(() => {
        const s = read(branch, 'input') ?? '';
        return s.endsWith('\r') ? s : null;
      }, { what: `input typed into the agent on "${branch}"` }),
  };
}

/** Write the user config for the sandbox. */
export function writeConfig(sb: Sandbox, toml: string): void {
  fs.mkdirSync(sb.fleetHome, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(sb.fleetHome, 'config.toml'), toml);
}

export function readState(sb: Sandbox): { agents: Array<Record<string, unknown>> } {
  const f = path.join(sb.fleetHome, 'state.json');
  if (!fs.existsSync(f)) return { agents: [] };
  return JSON.parse(fs.readFileSync(f, 'utf8'));
}

/**
 * Shell agents that run a script in their worktree, then leave a mark outside it and wait.
 * With a batch id they are started together by `fleet multi`, otherwise one `fleet create` each.
 * Resolves once every agent has finished its script.
 */
export async function startScriptAgents(sb: Sandbox, repo: string, agents: Record<string, string>, batch: string | null): Promise<void> {
  const marks = path.join(sb.dir, 'marks');
  fs.mkdirSync(marks, { recursive: true });
  const prompt = (branch: string, script: string) => `set -e; ${script}; touch ${marks}/${branch}; sleep 300`;
  const fail = (r: CliResult) => {
    if (r.exitCode !== 0) throw new Error(`fleet failed (${r.exitCode}): ${r.stderr}`);
  };
  if (batch) {
    const pairs = Object.entries(agents).map(([b, script]) => `${b}:${prompt(b, script)}`);
    fail(await fleet(sb, ['multi', ...pairs, '--batch', batch], { cwd: repo }));
  } else {
    for (const [b, script] of Object.entries(agents)) fail(await fleet(sb, ['create', b, '-p', prompt(b, script)], { cwd: repo }));
  }
  await waitFor(() => Object.keys(agents).every((b) => fs.existsSync(path.join(marks, b))), { what: 'agents to finish their work' });
}

/** A tmux pane of the sandbox's own server, playing a user's terminal (see onTerminal). */
export interface TestTerminal {
  /** What the terminal shows now. */
  screen(): Promise<string>;
  /** What scrolled off its top ('' when nothing did). */
  scrollback(): Promise<string>;
  /** Type keys into it (tmux key names: C-c is Ctrl+C, which the terminal turns into SIGINT). */
  keys(...keys: string[]): Promise<void>;
  /** Wait until `fleet` ended; resolves with its exit status and the screen's lines above that note. */
  ended(): Promise<{ exitCode: number; lines: string[] }>;
}

/**
 * Run `fleet <args>` (words joined as a shell line) on a terminal of `cols` x `rows`: a pane of
 * the sandbox's tmux server, so what it shows is what a user would see, and Ctrl+C is a real
 * terminal's. After fleet ends, the pane prints "exit status N" and stays.
 */
export async function onTerminal(sb: Sandbox, args: string, opts: { cols: number; rows: number; cwd: string }): Promise<TestTerminal> {
  const name = `term-${Math.random().toString(36).slice(2, 8)}`;
  const cmd = `'${process.execPath}' '${CLI}' ${args}; echo "exit status $?"; sleep 600`;
  const r = await sb.tmux('new-session', '-d', '-s', name, '-x', String(opts.cols), '-y', String(opts.rows), '-c', opts.cwd, cmd);
  if (r.exitCode !== 0) throw new Error(`could not open a test terminal: ${r.stdout}`);
  const screen = async () => (await sb.tmux('capture-pane', '-p', '-t', `=${name}:`)).stdout;
  return {
    screen,
    async scrollback() {
      // Asked for history when there is none, tmux returns the screen's first row.
      if ((await sb.tmux('display-message', '-p', '-t', `=${name}:`, '#{history_size}')).stdout.trim() === '0') return '';
      return (await sb.tmux('capture-pane', '-p', '-S', '-', '-E', '-1', '-t', `=${name}:`)).stdout;
    },
    async keys(...keys) {
      await sb.tmux('send-keys', '-t', `=${name}:`, ...keys);
    },
    async ended() {
      // After a Ctrl+C the note follows the terminal's "^C" on the same line.
      const note = /exit status (\d+)$/;
      const lines = await waitFor(async () => {
        const l = (await screen()).split('\n');
        return l.some((x) => note.test(x)) ? l : null;
      }, { what: `fleet ${args} to end` });
      const at = lines.findIndex((l) => note.test(l));
      return { exitCode: Number(note.exec(lines[at]!)![1]), lines: lines.slice(0, at) };
    },
  };
}
