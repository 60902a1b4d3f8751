import type { Ui } from './output.js';

export interface Spinner {
  text(t: string): void;
  note(t: string): void;
  warn(t: string): void;
  succeed(t: string): void;
  fail(t: string): void;
}

/** An ora spinner on a terminal (loaded only then); silent everywhere else. */
export async function startSpinner(ui: Ui, text: string): Promise<Spinner> {
  if (!ui.isTTY || !process.stderr.isTTY) {
    return { text: () => {}, note: (t) => ui.note(`note: ${t}`), warn: (t) => ui.warn(t), succeed: () => {}, fail: () => {} };
  }
  const { default: ora } = await import('ora');
  // discardStdin would put the terminal in raw mode (no ISIG) and wait for the ^C byte on a
  // stdin it never resumes, so Ctrl+C did nothing during create. The terminal stays as it is:
  // Ctrl+C sends SIGINT, which create turns into a rollback.
  const s = ora({ text, stream: process.stderr, discardStdin: false }).start();
  return {
    text: (t) => {
      s.text = t;
    },
    note: (t) => {
      s.clear();
      ui.note(`note: ${t}`);
      s.render();
    },
    warn: (t) => {
      s.clear();
      ui.warn(t);
      s.render();
    },
    succeed: (t) => s.succeed(t),
    fail: (t) => s.fail(t),
  };
}
