/**
 * Run `fn` with an AbortSignal that fires on SIGINT or SIGTERM instead of killing the process,
 * so half-made work can be rolled back. A second signal is noted, not obeyed: stopping in the
 * middle of a rollback is exactly what leaves orphans behind.
 */
export async function withInterrupts<T>(fn: (signal: AbortSignal) => Promise<T>, onSignal?: (count: number) => void): Promise<T> {
  const controller = new AbortController();
  let count = 0;
  const handler = () => {
    count++;
    onSignal?.(count);
    if (count === 1) controller.abort();
    else process.stderr.write('still cleaning up; please wait…\n');
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}
