import type { CreatePhase } from '../core/create-plan.js';
import { paint, type Colour } from './output.js';
import { firstLine } from '../core/format.js';

/** What one agent of a batch is doing: createAgent's phases plus the batch's own outcomes. */
export type AgentProgress = CreatePhase | 'rolling back' | 'interrupted' | 'not started';

const FINAL: ReadonlySet<AgentProgress> = new Set(['ready', 'failed', 'interrupted', 'not started']);

/** Makes the progress display of a batch, once its agents are known (one line per agent). */
export type ProgressFactory = (agents: { branch: string; agent: string }[]) => BatchProgress;

export interface BatchProgress {
  update(branch: string, state: AgentProgress, detail?: string): void;
  /** A message that must stay on screen (printed above the live lines). */
  note(text: string): void;
  /** Draw the final state and stop redrawing. Idempotent. */
  stop(): void;
}

/** Where the progress goes: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(s: string): unknown;
  columns?: number;
  rows?: number;
}

export interface ProgressOptions {
  /** Redraw one line per agent in place (a terminal), or print one plain line per finished agent. */
  live: boolean;
  color: boolean;
  stream: ProgressStream;
  now?: () => number;
  /** Redraw interval of the live view in ms (0: only on updates, for tests). */
  tick?: number;
}

interface Row {
  branch: string;
  agent: string;
  state: AgentProgress;
  detail: string;
  started: number | null;
  ended: number | null;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const ESC = '\x1b[';

/**
 * Progress of a batch. On a terminal: one line per agent (queued / creating worktree / copying
 * files / setup / starting / ready / failed), redrawn in place; when the batch has more agents
 * than the screen has lines, a count line plus the busy ones. Elsewhere: one plain line per
 * agent as it finishes, so logs and CI output stay readable.
 */
export function makeProgress(agents: readonly { branch: string; agent: string }[], opts: ProgressOptions): BatchProgress {
  const now = opts.now ?? Date.now;
  const rows = new Map<string, Row>(agents.map((a) => [a.branch, { branch: a.branch, agent: a.agent, state: 'queued', detail: '', started: null, ended: null }]));
  const all = [...rows.values()];
  const c = (text: string, colour: Colour) => paint(text, colour, opts.color);
  let stopped = false;

  if (!opts.live) {
    return {
      update(branch, state, detail) {
        const row = rows.get(branch);
        if (!row || stopped || FINAL.has(row.state)) return;
        track(row, state, detail, now());
        if (FINAL.has(state)) opts.stream.write(plainLine(row, now()) + '\n');
      },
      note: (text) => void opts.stream.write(text.endsWith('\n') ? text : text + '\n'),
      stop: () => {
        stopped = true;
      },
    };
  }

  const branchWidth = Math.min(40, Math.max(...all.map((r) => r.branch.length)));
  const agentWidth = Math.min(16, Math.max(...all.map((r) => r.agent.length)));
  let frame = 0;
  let drawn = 0;

  const line = (row: Row, t: number): string => {
    const width = Math.max(20, (opts.stream.columns || 80) - 1);
    const symbol =
      row.state === 'ready' ? c('✔', 'green')
      : row.state === 'failed' ? c('✖', 'red')
      : row.state === 'interrupted' ? c('✖', 'yellow')
      : row.state === 'not started' || row.state === 'queued' ? c('·', 'gray')
      : c(SPINNER[frame % SPINNER.length]!, 'cyan');
    const head = `${fit(row.branch, branchWidth).padEnd(branchWidth)}  ${fit(row.agent, agentWidth).padEnd(agentWidth)}  `;
    // Truncate before colouring, so escape codes never count toward the width.
    const text = fit(head + stateText(row, t), width - 2);
    const colour: Colour | null = row.state === 'failed' ? 'red' : row.state === 'queued' || row.state === 'not started' ? 'gray' : null;
    return `${symbol} ${colour ? text.slice(0, head.length) + c(text.slice(head.length), colour) : text}`;
  };

  const render = (t: number): string[] => {
    const room = Math.max(3, (opts.stream.rows || 24) - 2);
    if (all.length <= room) return all.map((r) => line(r, t));
    // More agents than lines: redrawing past the top of the screen is impossible, so show counts and the busy ones.
    const count = (s: AgentProgress[]) => all.filter((r) => s.includes(r.state)).length;
    const busy = all.filter((r) => !FINAL.has(r.state) && r.state !== 'queued');
    const summary = `${count(['ready'])} ready · ${count(['failed'])} failed · ${busy.length} in progress · ${count(['queued'])} queued` +
      (count(['interrupted', 'not started']) > 0 ? ` · ${count(['interrupted', 'not started'])} stopped` : '');
    return [summary, ...busy.slice(0, room - 1).map((r) => line(r, t))];
  };

  // Up to the first live line, clear to the end of the screen, write the lines: one write, so
  // the terminal never shows half a frame, and the number of lines may change between frames.
  const draw = () => {
    const lines = render(now());
    opts.stream.write(`${drawn > 0 ? `${ESC}${drawn}A` : ''}\r${ESC}J${lines.join('\n')}\n`);
    drawn = lines.length;
  };

  opts.stream.write(`${ESC}?25l`);
  const restoreCursor = () => opts.stream.write(`${ESC}?25h`);
  process.once('exit', restoreCursor);
  draw();
  const timer = (opts.tick ?? 100) > 0 ? setInterval(() => {
    frame++;
    draw();
  }, opts.tick ?? 100) : null;
  timer?.unref();

  return {
    update(branch, state, detail) {
      const row = rows.get(branch);
      if (!row || stopped || FINAL.has(row.state)) return;
      track(row, state, detail, now());
      draw();
    },
    note(text) {
      if (stopped) {
        opts.stream.write(text.endsWith('\n') ? text : text + '\n');
        return;
      }
      // Wipe the live lines, print the note where they were, and draw them again below it.
      opts.stream.write(`${drawn > 0 ? `${ESC}${drawn}A` : ''}\r${ESC}J${text.endsWith('\n') ? text : text + '\n'}`);
      drawn = 0;
      draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      draw();
      restoreCursor();
      process.off('exit', restoreCursor);
    },
  };
}

function track(row: Row, state: AgentProgress, detail: string | undefined, t: number): void {
  if (row.started === null && state !== 'queued' && state !== 'not started') row.started = t;
  if (FINAL.has(state)) row.ended = t;
  row.state = state;
  row.detail = detail ?? '';
}

function seconds(row: Row, t: number): string {
  if (row.started === null) return '';
  return `${(((row.ended ?? t) - row.started) / 1000).toFixed(1)}s`;
}

function stateText(row: Row, t: number): string {
  switch (row.state) {
    case 'failed':
      return `failed: ${firstLine(row.detail)}`;
    case 'interrupted':
      return 'interrupted, rolled back';
    case 'not started':
      return 'not started (interrupted)';
    case 'queued':
      return 'queued';
    default:
      return `${row.state} ${seconds(row, t)}`;
  }
}

/** One line per finished agent (no terminal). */
function plainLine(row: Row, t: number): string {
  switch (row.state) {
    case 'ready':
      return `${row.branch}: ready (${row.agent}, ${seconds(row, t)})`;
    case 'failed':
      return `${row.branch}: failed: ${firstLine(row.detail)}`;
    case 'interrupted':
      return `${row.branch}: interrupted, rolled back`;
    default:
      return `${row.branch}: not started (interrupted)`;
  }
}

/** Cut to `n` characters with "…" (branch names can be long). */
function fit(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, Math.max(0, n - 1)) + '…';
}
