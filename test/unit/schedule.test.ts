import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { checkoutSlots, Semaphore } from '../../src/ops/schedule.js';

describe('checkoutSlots', () => {
  it.each([
    [1, 4, 1],
    [2, 4, 2],
    [4, 4, 4],
    [16, 4, 4],
    [16, 10, 10],
    [64, 100, 64],
  ])('%i CPUs, max_parallel %i: %i checkouts at once', (cpus, maxParallel, slots) => {
    expect(checkoutSlots(cpus, maxParallel)).toBe(slots);
  });
  it('lets a user-set max_parallel cap checkouts too', () => {
    expect(checkoutSlots(8, 1)).toBe(1);
    expect(checkoutSlots(8, 3)).toBe(3);
  });
  it('always allows one', () => {
    expect(checkoutSlots(0, 4)).toBe(1);
    expect(checkoutSlots(2, 0)).toBe(1);
  });
});

/** A step that runs until `finish(i)` is called, recording how many ran at once. */
function steps() {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const finishers = new Map<number, () => void>();
  const step = (i: number) => () =>
    new Promise<number>((resolve) => {
      started.push(i);
      most = Math.max(most, ++running);
      finishers.set(i, () => {
        running--;
        resolve(i);
      });
    });
  const finish = async (i: number) => {
    finishers.get(i)!();
    await new Promise((r) => setImmediate(r));
  };
  return { step, finish, started, most: () => most };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Semaphore', () => {
  it('runs at most `slots` steps at once, the waiting ones in the order they asked', async () => {
    const s = new Semaphore(2);
    const t = steps();
    const all = [1, 2, 3, 4, 5].map((i) => s.run(t.step(i)));
    await tick();
    expect(t.started).toEqual([1, 2]);
    await t.finish(2);
    expect(t.started).toEqual([1, 2, 3]);
    await t.finish(1);
    await t.finish(3);
    expect(t.started).toEqual([1, 2, 3, 4, 5]);
    await t.finish(4);
    await t.finish(5);
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5]);
    expect(t.most()).toBe(2);
  });

  it('gives the slot back when a step fails', async () => {
    const s = new Semaphore(1);
    await expect(s.run(() => Promise.reject(new Error('checkout failed')))).rejects.toThrow('checkout failed');
    expect(await s.run(async () => 'next')).toBe('next');
  });

  it('an abort while waiting rejects with InterruptedError, runs nothing and leaves the queue working', async () => {
    const s = new Semaphore(1);
    const t = steps();
    const controller = new AbortController();
    const first = s.run(t.step(1), controller.signal);
    const queued = s.run(t.step(2), controller.signal);
    const other = s.run(t.step(3)); // not under the signal: still runs after the abort
    await tick();
    controller.abort();
    await expect(queued).rejects.toBeInstanceOf(InterruptedError);
    await t.finish(1); // a started step runs to its end
    expect(await first).toBe(1);
    expect(t.started).toEqual([1, 3]);
    await t.finish(3);
    expect(await other).toBe(3);
    expect(await s.run(async () => 'free again')).toBe('free again');
    expect(t.most()).toBe(1);
  });

  it('an already aborted signal runs nothing, even with a slot free', async () => {
    const s = new Semaphore(1);
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    await expect(
      s.run(async () => {
        ran = true;
      }, controller.signal),
    ).rejects.toBeInstanceOf(InterruptedError);
    expect(ran).toBe(false);
    expect(await s.run(async () => 'slot kept')).toBe('slot kept');
  });
});
