import { processStart } from './process-table.js';

/**
 * Is a process alive? Signal 0 checks without sending anything; EPERM means it exists but is
 * not ours. With `start` (ProcEntry.start, recorded when it was seen), it must also be the
 * same process: a pid is reused once its process ends, so a pid alone proves nothing later.
 */
export function pidAlive(pid: number, start?: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return start === undefined || start === null || processStart(pid) === start;
}
