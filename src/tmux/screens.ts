/** Panes and screens in one tmux call: what a live view of many agents reads on every refresh. */
import crypto from 'node:crypto';
import type { Runner } from '../process/runner.js';
import { CAPTURE_FORMAT, parseCapture, type PaneCapture } from '../core/pane-capture.js';
import { PANE_FORMAT, parsePanes, type PaneInfo } from '../core/parse.js';
import { listPanes, paneTarget } from './sessions.js';

/** How much scrollback to read with a screen: a number of lines, or all of it. */
export type HistoryWanted = number | 'all';

/** tmux arguments that print a pane's facts (CAPTURE_FORMAT), then its scrollback and screen. */
export function captureArgs(session: string, history: HistoryWanted): string[] {
  const start = history === 'all' ? '-' : String(-Math.max(0, history));
  return ['display-message', '-p', '-t', paneTarget(session), CAPTURE_FORMAT, ';', 'capture-pane', '-p', '-e', '-t', paneTarget(session), '-S', start];
}

export interface PanesAndScreens {
  panes: PaneInfo[];
  /** Each session asked for: its capture, or null when the session is gone. */
  screens: Map<string, PaneCapture | null>;
}

/**
 * Every pane on the server (as listPanes) and, in the same tmux process, the screens of
 * `wanted` (session → scrollback lines): one call however many are viewed. The parts of the
 * output are told apart by a marker no pane can print (new on every call). When that call
 * fails (no server, or a viewed session ended meanwhile: tmux stops at the first failing
 * command), the panes are asked on their own and each viewed pane that is still there once.
 */
export async function listPanesAndScreens(run: Runner, wanted: ReadonlyMap<string, HistoryWanted>): Promise<PanesAndScreens> {
  const marker = `fleet-part-${crypto.randomBytes(12).toString('hex')}`;
  const args = ['list-panes', '-a', '-F', PANE_FORMAT];
  for (const [session, history] of wanted) args.push(';', 'display-message', '-p', marker, ';', ...captureArgs(session, history));
  const r = await run('tmux', args, { reject: false, keepTrailingNewline: true });
  const screens = new Map<string, PaneCapture | null>();
  if (r.exitCode === 0) {
    const parts = r.stdout.split(`${marker}\n`);
    const panes = parsePanes(parts[0] ?? '');
    [...wanted.keys()].forEach((session, i) => screens.set(session, parseCapture(parts[i + 1] ?? '')));
    // A dead pane without its exit status is tmux missing a SIGCHLD (tmux#311): listPanes knows how to ask again.
    const unreaped = panes.some((p) => p.dead && p.deadStatus === null && p.deadSignal === null);
    return { panes: unreaped ? await listPanes(run) : panes, screens };
  }
  const panes = await listPanes(run);
  for (const [session, history] of wanted) {
    const c = panes.some((p) => p.session === session) ? await run('tmux', captureArgs(session, history), { reject: false, keepTrailingNewline: true }) : null;
    screens.set(session, c && c.exitCode === 0 ? parseCapture(c.stdout) : null);
  }
  return { panes, screens };
}
