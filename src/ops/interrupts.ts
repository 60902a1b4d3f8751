import { processGroups } from '../process/runner.js';

/**
 * Run `fn` with an AbortSignal that fires on SIGINT or SIGTERM instead of killing the process,
 * so half-made work can be rolled back. A second signal is noted, not obeyed: stopping in the
 * middle of a rollback is exactly what leaves orphans behind. Meanwhile children run in their
 * own process groups, so a terminal's Ctrl+C (sent to the whole group) cannot kill a git call
 * of the rollback either. `onSignal`, when given, reports signals itself.
 */
export async function withInterrupts<T>(fn: (signal: AbortSignal) => Promise<T>, onSignal?: (count: number) => void): Promise<T> {
  const controller = new AbortController();
  let count = 0;
  const handler = () => {
    count++;
    onSignal?.(count);
    if (count === 1) controller.abort();
    else if (!onSignal) process.stderr.write('still cleaning up; please wait…\n');
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  const ownGroups = processGroups.own;
  processGroups.own = true;
  try {
    return await fn(controller.signal);
  } finally {
    processGroups.own = ownGroups;
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}
