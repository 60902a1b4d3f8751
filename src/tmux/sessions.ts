/** tmux through the one runner: one function per tmux operation, sessions always targeted exactly. */
import { ConflictError, FleetError } from '../errors.js';
import { runInteractive, type Runner } from '../process/runner.js';
import { sleep } from '../process/sleep.js';
import { parseSnapshot, SNAPSHOT_FORMAT, stripControls, type PaneSnapshot } from '../core/follow.js';
import { FS, PANE_FORMAT, parsePanes, type FleetOption, type PaneInfo } from '../core/parse.js';

/**
 * Targets. `-t name` prefix-matches (fix-1 would reach fix-10), so sessions are always
 * addressed as `=name`, and windows/panes as `=name:` (a bare `=name` there is read as a window).
 */
export const sessionTarget = (name: string) => `=${name}`;
export const paneTarget = (name: string) => `=${name}:`;

function noServer(stderr: string): boolean {
  return /no server running|error connecting to|no sessions/i.test(stderr);
}

export interface NewSessionSpec {
  name: string;
  cwd: string;
  /** The full argv the pane runs (already wrapped by the launcher). */
  argv: string[];
  options: Partial<Record<FleetOption, string>>;
  /** More @fleet_* options that list does not read (e.g. notify: the notify_command file). */
  extraOptions?: Record<string, string>;
  /** The session's pane-died hook (a tmux command), set before the agent can exit. */
  paneDied?: string;
  width?: number;
  height?: number;
}

/**
 * Every pane on the server with fleet's options, in one call. [] when no server runs.
 * tmux built with libutempter can miss the SIGCHLD of a pane's process that exits while
 * utempter has its own handler in (tmux#311): the pane shows dead with no exit status, its
 * process an unreaped zombie, until some other child exits. A SIGCHLD from us makes the
 * server reap it; then another look, for as long as that keeps helping (a status that
 * tmux cannot give, a signal's on tmux < 3.3, costs one look more, not a loop).
 */
export async function listPanes(run: Runner): Promise<PaneInfo[]> {
  let before = Infinity;
  for (let attempt = 0; ; attempt++) {
    const r = await run('tmux', ['list-panes', '-a', '-F', PANE_FORMAT], { reject: false });
    if (r.exitCode !== 0) {
      if (noServer(r.stderr)) return [];
      throw new FleetError(`tmux list-panes failed: ${r.stderr.trim()}`);
    }
    const panes = parsePanes(r.stdout);
    const unreaped = panes.filter((p) => p.dead && p.deadStatus === null && p.deadSignal === null).length;
    const server = panes[0]?.serverPid;
    if (unreaped === 0 || unreaped >= before || !server || attempt >= 3) return panes;
    before = unreaped;
    if (!(await nudgeServer(run, server))) return panes;
  }
}

/**
 * Ask the tmux server to reap its children (see listPanes), then give it a moment. Through the
 * runner, so it reaches the server where the runner runs. False when there is nothing to signal.
 */
async function nudgeServer(run: Runner, serverPid?: number): Promise<boolean> {
  let pid = serverPid;
  if (!pid) {
    const r = await run('tmux', ['display-message', '-p', '#{pid}'], { reject: false });
    pid = Number(r.stdout.trim());
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const k = await run('kill', ['-s', 'CHLD', String(pid)], { reject: false });
  if (k.exitCode !== 0) return false;
  await sleep(10);
  return true;
}

/**
 * A pane can show dead a moment before tmux has its exit status (the end of its output and the
 * SIGCHLD arrive apart, or tmux#311): look again, a few times, so "exited with code N" is told.
 */
async function withExitStatus<T extends { dead: boolean; exitStatus: number | null; exitSignal: number | null }>(
  run: Runner,
  read: () => Promise<T | null>,
): Promise<T | null> {
  let v = await read();
  for (let attempt = 0; v && v.dead && v.exitStatus === null && v.exitSignal === null && attempt < 5; attempt++) {
    if (!(await nudgeServer(run))) break;
    await sleep(20 * attempt);
    v = await read();
  }
  return v;
}

export async function hasSession(run: Runner, name: string): Promise<boolean> {
  const r = await run('tmux', ['has-session', '-t', sessionTarget(name)], { reject: false });
  return r.exitCode === 0;
}

/**
 * Start a detached session running `argv` directly (tmux execs a multi-word command
 * without a shell). remain-on-exit and the @fleet_* options are set in the same tmux
 * invocation, before the server runs its event loop again, so even an agent that exits at
 * once leaves its pane, output and exit status behind.
 */
export async function newSession(run: Runner, spec: NewSessionSpec): Promise<void> {
  const args = [
    'new-session', '-d', '-s', spec.name, '-c', spec.cwd,
    '-x', String(spec.width ?? 200), '-y', String(spec.height ?? 50),
    '--', ...spec.argv,
    ';', 'set-option', '-w', '-t', paneTarget(spec.name), 'remain-on-exit', 'on',
  ];
  for (const [k, v] of Object.entries(spec.options)) {
    if (v !== undefined) args.push(';', 'set-option', '-t', paneTarget(spec.name), `@fleet_${k}`, v);
  }
  for (const [k, v] of Object.entries(spec.extraOptions ?? {})) args.push(';', 'set-option', '-t', paneTarget(spec.name), `@fleet_${k}`, v);
  if (spec.paneDied) args.push(';', 'set-hook', '-t', paneTarget(spec.name), 'pane-died', spec.paneDied);
  const r = await run('tmux', args, { reject: false });
  if (r.exitCode !== 0) {
    const msg = r.stderr.trim();
    if (/duplicate session/i.test(msg)) {
      throw new ConflictError(
        `tmux session "${spec.name}" already exists`,
        // Never "kill it": the session may be another agent's, or the user's own.
        'another session took the name just now; pick another branch name, or see it with: tmux ls',
      );
    }
    if (/command too long/i.test(msg)) throw new FleetError('the agent command line is too long for tmux');
    // A failure in a later part of the chain leaves a session behind: don't.
    await killSession(run, spec.name).catch(() => undefined);
    throw new FleetError(`tmux could not start session "${spec.name}": ${msg}`);
  }
}

/**
 * The pids of a session's live panes (every window) and the tmux server's pid, read before the
 * session is ended so the agent's process tree can be found; null when there is no such session.
 * A dead pane's pid is left out: that process has ended, and its pid may be another's by now.
 */
export async function sessionPanePids(run: Runner, name: string): Promise<{ panes: number[]; server: number | null } | null> {
  const r = await run('tmux', ['list-panes', '-s', '-t', sessionTarget(name), '-F', '#{pane_dead} #{pane_pid} #{pid}'], { reject: false });
  if (r.exitCode !== 0) return null;
  const panes: number[] = [];
  let server: number | null = null;
  for (const line of r.stdout.split('\n')) {
    const m = /^([01]) (\d+) (\d+)$/.exec(line.trim());
    if (!m) continue;
    server = Number(m[3]);
    if (m[1] === '0') panes.push(Number(m[2]));
  }
  return { panes, server };
}

/** The tmux server's pid; null when no server runs. */
export async function serverPid(run: Runner): Promise<number | null> {
  const r = await run('tmux', ['list-sessions', '-F', '#{pid}'], { reject: false });
  const pid = Number(r.stdout.split('\n')[0]);
  return r.exitCode === 0 && Number.isInteger(pid) && pid > 0 ? pid : null;
}

export async function killSession(run: Runner, name: string): Promise<boolean> {
  const r = await run('tmux', ['kill-session', '-t', sessionTarget(name)], { reject: false });
  return r.exitCode === 0;
}

/**
 * Type text into the agent: load-buffer from stdin, bracketed paste (-p) so multi-line text
 * arrives whole, newlines kept as they are (-r; tmux would turn them into CRs), then Enter as
 * a separate key `enterDelayMs` later (the agent profile's) so TUIs don't fold it into the paste.
 */
export async function sendText(run: Runner, name: string, text: string, opts: { enter?: boolean; enterDelayMs: number }): Promise<void> {
  const buffer = `fleet-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await run('tmux', ['load-buffer', '-b', buffer, '-'], { input: text });
  await run('tmux', ['paste-buffer', '-p', '-d', '-r', '-b', buffer, '-t', paneTarget(name)]);
  if (opts.enter !== false) {
    await sleep(opts.enterDelayMs);
    await run('tmux', ['send-keys', '-t', paneTarget(name), 'Enter']);
  }
}

/** A pane's screen and scrollback, and whether its program has ended (and how). */
export interface PaneText {
  /** Screen plus scrollback as lines, wrapped lines joined, trailing blank lines dropped. */
  lines: string[];
  dead: boolean;
  exitStatus: number | null;
  exitSignal: number | null;
}

const DEAD_FORMAT = ['#{pane_dead}', '#{pane_dead_status}', '#{pane_dead_signal}'].join(FS);

function sessionGone(stderr: string): boolean {
  return noServer(stderr) || /can't find|not found/i.test(stderr);
}

/** The pane's text and its dead/exit facts, in one tmux call. Null when the session is gone. */
export async function readPane(run: Runner, name: string): Promise<PaneText | null> {
  return withExitStatus(run, () => readPaneOnce(run, name));
}

async function readPaneOnce(run: Runner, name: string): Promise<PaneText | null> {
  const t = paneTarget(name);
  const r = await run('tmux', ['display-message', '-p', '-t', t, DEAD_FORMAT, ';', 'capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', t], {
    keepTrailingNewline: true,
    reject: false,
  });
  if (r.exitCode !== 0) {
    if (sessionGone(r.stderr)) return null;
    throw new FleetError(`tmux could not read the screen of session "${name}": ${r.stderr.trim()}`);
  }
  const [facts = '', ...raw] = r.stdout.split('\n');
  const lines = raw.map(stripControls);
  const [dead, status, signal] = facts.split(FS);
  const trimEnd = () => {
    while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  };
  trimEnd();
  // remain-on-exit writes "Pane is dead (status N, <date>)" at the bottom of the screen; the
  // exit status is reported by fleet itself, so drop the line and the blank screen above it.
  if (dead === '1' && lines.length > 0 && /^Pane is dead\b/.test(lines[lines.length - 1]!)) {
    lines.pop();
    trimEnd();
  }
  const num = (v: string | undefined) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));
  return { lines, dead: dead === '1', exitStatus: num(status), exitSignal: num(signal) };
}

/**
 * One look at a pane for `logs --follow`, in one tmux call: its facts, the last `historyLines`
 * lines of its history and its screen, row for row (not joined, so rows can be counted). Null
 * when the session is gone.
 */
export async function snapshotPane(run: Runner, name: string, historyLines: number): Promise<PaneSnapshot | null> {
  return withExitStatus(run, () => snapshotPaneOnce(run, name, historyLines));
}

async function snapshotPaneOnce(run: Runner, name: string, historyLines: number): Promise<PaneSnapshot | null> {
  const t = paneTarget(name);
  // Loaded here, not up front: list loads this module and never needs it.
  const { randomBytes } = await import('node:crypto');
  const mark = `fleet-screen-${randomBytes(8).toString('hex')}`;
  const r = await run(
    'tmux',
    [
      'display-message', '-p', '-t', t, SNAPSHOT_FORMAT,
      ';', 'capture-pane', '-p', '-t', t, '-S', String(-Math.max(1, historyLines)), '-E', '-1',
      ';', 'display-message', '-p', mark,
      ';', 'capture-pane', '-p', '-t', t,
    ],
    { keepTrailingNewline: true, reject: false },
  );
  if (r.exitCode !== 0) {
    if (sessionGone(r.stderr)) return null;
    throw new FleetError(`tmux could not read the screen of session "${name}": ${r.stderr.trim()}`);
  }
  const snap = parseSnapshot(r.stdout, mark);
  if (!snap) throw new FleetError(`tmux gave an unexpected answer for the screen of session "${name}"`);
  return snap;
}

/** A new window in the client's current session, named `name`, running argv. */
export async function openWindow(run: Runner, name: string, argv: readonly string[]): Promise<void> {
  await run('tmux', ['new-window', '-n', name, '--', ...argv]);
}

/** Show `text` for 8 s on every client attached to the server (none: nothing happens). */
export async function messageClients(run: Runner, text: string): Promise<void> {
  const clients = await run('tmux', ['list-clients', '-F', '#{client_name}'], { reject: false });
  for (const c of clients.stdout.split('\n').filter(Boolean)) {
    // "#" doubled: display-message expands formats in its message.
    await run('tmux', ['display-message', '-d', '8000', '-c', c, text.replace(/#/g, '##')], { reject: false });
  }
}

/** Attach the terminal (stdio handed to tmux), or switch the client when already inside tmux. */
export async function attach(run: Runner, name: string, insideTmux: boolean): Promise<number> {
  if (insideTmux) {
    await run('tmux', ['switch-client', '-t', sessionTarget(name)]);
    return 0;
  }
  return runInteractive('tmux', ['attach-session', '-t', sessionTarget(name)]);
}
