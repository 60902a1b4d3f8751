import { InterruptedError } from '../errors.js';

/**
 * How many `git worktree add` of one batch run at once. A checkout is CPU work (inflating blobs,
 * and above all the kernel creating thousands of files), so more checkouts than CPUs only share
 * the same cores and each takes longer. The cheap steps (claim, credential copy, tmux session)
 * and setup_commands still run `maxParallel` agents at once, overlapping the next checkout, and a
 * user's `max_parallel` caps checkouts too.
 */
export function checkoutSlots(cpus: number, maxParallel: number): number {
  return Math.max(1, Math.min(Math.floor(maxParallel), Math.floor(cpus)));
}

/** At most `slots` steps at once, the others waiting in the order they asked. */
export class Semaphore {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(slots: number) {
    this.free = Math.max(1, Math.floor(slots));
  }

  /**
   * Run `step` once a slot is free. An abort while waiting rejects with an InterruptedError and
   * runs nothing; a step that has started runs to its end (it sees the signal itself).
   */
  async run<T>(step: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await step();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new InterruptedError());
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(new InterruptedError());
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The slot passes straight to the longest waiter, so a newcomer cannot jump the queue. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
