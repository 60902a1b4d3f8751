import { processGroups } from './runner.js';

export interface InterruptOptions {
  /** Told of every signal (count 1 for the first). Without it, a second signal prints "still cleaning up; please wait…". */
  onSignal?: (count: number) => void;
  /** The signals that stop `fn` (default SIGINT and SIGTERM); others keep their default effect. */
  signals?: readonly NodeJS.Signals[];
}

/**
 * The one way fleet waits and stops: run `fn` with an AbortSignal that fires on SIGINT or
 * SIGTERM instead of killing the process, so half-made work can be rolled back, a watch can
 * end its loop, a sleep (process/sleep) can end early. A second signal is noted, not obeyed:
 * stopping in the middle of a rollback is exactly what leaves orphans behind. Meanwhile children
 * run in their own process groups, so a terminal's Ctrl+C (sent to the whole group) cannot kill
 * a git call of the rollback either.
 */
export async function withInterrupts<T>(fn: (signal: AbortSignal) => Promise<T>, opts: InterruptOptions = {}): Promise<T> {
  const { onSignal, signals = ['SIGINT', 'SIGTERM'] } = opts;
  const controller = new AbortController();
  let count = 0;
  const handler = () => {
    count++;
    onSignal?.(count);
    if (count === 1) controller.abort();
    else if (!onSignal) process.stderr.write('still cleaning up; please wait…\n');
  };
  for (const s of signals) process.on(s, handler);
  const ownGroups = processGroups.own;
  processGroups.own = true;
  try {
    return await fn(controller.signal);
  } finally {
    processGroups.own = ownGroups;
    for (const s of signals) process.off(s, handler);
  }
}
