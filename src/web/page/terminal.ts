/**
 * An agent's tmux screen in xterm.js, read-only. The server sends frames over server-sent
 * events: a reset (scrollback + screen, at the pane's size) and then updates as the agent works.
 */
import { Terminal } from '@xterm/xterm';

interface Frame {
  kind: 'reset' | 'update';
  cols: number;
  rows: number;
  data: string;
}

export interface TerminalView {
  element: HTMLElement;
  dispose(): void;
}

/** Font size that fits `cols` columns into `width` pixels (a monospace cell is about 0.6 em wide), kept readable. */
function fittingFontSize(width: number, cols: number): number {
  return Math.max(11, Math.min(14, Math.floor((width - 16) / (cols * 0.6))));
}

export function terminalView(session: string, onGone: (message: string, hint?: string) => void): TerminalView {
  const element = document.createElement('div');
  element.className = 'term-view';
  element.setAttribute('data-session', session);
  const term = new Terminal({
    disableStdin: true,
    cursorBlink: false,
    scrollback: 5000,
    fontSize: 12,
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace',
    theme: { background: '#0d1117', foreground: '#d6deeb' },
  });
  let opened = false;
  let cols = 0;

  const fit = () => {
    if (!opened || cols === 0) return;
    const size = fittingFontSize(element.clientWidth, cols);
    if (term.options.fontSize !== size) term.options.fontSize = size;
  };
  const resize = new ResizeObserver(fit);

  let source: EventSource | null = null;
  const connect = () => {
    const es = new EventSource(`/api/agents/${encodeURIComponent(session)}/screen`);
    source = es;
    es.addEventListener('frame', (ev) => {
      const frame = JSON.parse((ev as MessageEvent<string>).data) as Frame;
      if (!opened) {
        term.open(element);
        opened = true;
        resize.observe(element);
      }
      if (frame.kind === 'reset' || frame.cols !== term.cols || frame.rows !== term.rows) {
        if (frame.cols !== term.cols || frame.rows !== term.rows) term.resize(frame.cols, frame.rows);
        cols = frame.cols;
        fit();
      }
      term.write(frame.data);
      element.dataset.frames = String(Number(element.dataset.frames ?? 0) + 1);
    });
    es.addEventListener('gone', (ev) => {
      const { error, hint } = JSON.parse((ev as MessageEvent<string>).data) as { error: string; hint?: string };
      es.close();
      source = null;
      document.removeEventListener('visibilitychange', onVisibility);
      onGone(error, hint);
    });
  };
  // A browser keeps at most six connections to one server, shared by its tabs, and each event
  // stream holds one: a hidden tab lets go of its terminal (the agent list stays, for the
  // notifications) and takes it up again, from a reset, when it is shown.
  const onVisibility = () => {
    if (document.hidden) {
      source?.close();
      source = null;
    } else if (!source) connect();
  };
  document.addEventListener('visibilitychange', onVisibility);
  if (!document.hidden) connect();

  return {
    element,
    dispose() {
      document.removeEventListener('visibilitychange', onVisibility);
      source?.close();
      resize.disconnect();
      term.dispose();
    },
  };
}
