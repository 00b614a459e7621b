import { describe, expect, it } from 'vitest';
import { defaultPartBuffers, PartBudget, PartBuffersExhausted, type PartLease } from '../../src/export/part-budget.js';

const SIZE = 32;
const MiB = 2 ** 20;

/** Whether a promise has settled by the time queued callbacks have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('PartBudget: grants', () => {
  it('grants what a file wants while enough are free, and no more than is free beyond its minimum', async () => {
    const budget = new PartBudget(SIZE, 5);
    const a = await budget.acquire(2, 3);
    expect(a.granted).toBe(3);
    const b = await budget.acquire(1, 3);
    expect(b.granted).toBe(2);
    expect(budget.stats()).toMatchObject({ total: 5, inUse: 5, waiting: 0 });
  });

  it('a file waits until its minimum is free, and gets it when another file releases', async () => {
    const budget = new PartBudget(SIZE, 3);
    const a = await budget.acquire(2, 3);
    const waiting = budget.acquire(2, 3);
    expect(await settled(waiting)).toBe(false);
    expect(budget.stats().waiting).toBe(1);
    a.release();
    const b = await waiting;
    expect(b.granted).toBe(3);
    expect(budget.stats()).toMatchObject({ inUse: 3, waiting: 0 });
  });

  it('serves waiters in arrival order: one needing two is not passed by later ones needing one', async () => {
    const budget = new PartBudget(SIZE, 2);
    const a = await budget.acquire(1, 1);
    const order: string[] = [];
    const two = budget.acquire(2, 2).then((l) => (order.push('two'), l));
    const one = budget.acquire(1, 1).then((l) => (order.push('one'), l));
    // One buffer is free: enough for `one`, but `two` came first.
    expect(await settled(one)).toBe(false);
    a.release();
    (await two).release();
    (await one).release();
    expect(order).toEqual(['two', 'one']);
  });

  it('refuses at once a minimum larger than the whole budget, which could never be granted', async () => {
    const budget = new PartBudget(SIZE, 2);
    await expect(budget.acquire(3, 3)).rejects.toThrow(/needs 3 part buffers, more than the worker's 2 \(WORKER_PART_BUFFERS\)/);
  });

  it('no deadlock: files that each need two all finish on a budget that fits one at a time plus change', async () => {
    const budget = new PartBudget(SIZE, 3);
    let peak = 0;
    const file = async (i: number) => {
      const lease = await budget.acquire(2, 3);
      peak = Math.max(peak, budget.stats().inUse);
      // Use every buffer granted, as a file with parts in flight does, then finish.
      const held = Array.from({ length: lease.granted }, () => lease.take(SIZE));
      await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      for (const b of held) lease.give(b);
      lease.release();
      return i;
    };
    const done = await Promise.all(Array.from({ length: 12 }, (_, i) => file(i)));
    expect(done).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(peak).toBeLessThanOrEqual(3);
    expect(budget.stats()).toMatchObject({ inUse: 0, waiting: 0, overdrawn: 0 });
  });
});

describe('PartBudget: cancel and failure', () => {
  it('an aborted wait rejects with the abort reason, leaves the queue, and lets the next waiter through', async () => {
    const budget = new PartBudget(SIZE, 2);
    const a = await budget.acquire(1, 1);
    const abort = new AbortController();
    const cancelled = budget.acquire(2, 2, abort.signal);
    const next = budget.acquire(1, 1);
    expect(await settled(next)).toBe(false);
    abort.abort(new Error('activity cancelled'));
    await expect(cancelled).rejects.toThrow('activity cancelled');
    // The cancelled head of the queue held `next` back; one buffer was free all along.
    const b = await next;
    expect(b.granted).toBe(1);
    expect(budget.stats()).toMatchObject({ inUse: 2, waiting: 0 });
    a.release();
    b.release();
    expect(budget.stats().inUse).toBe(0);
  });

  it('a wait on a signal already aborted rejects without taking anything', async () => {
    const budget = new PartBudget(SIZE, 2);
    const abort = new AbortController();
    abort.abort(new Error('gone'));
    await expect(budget.acquire(1, 2, abort.signal)).rejects.toThrow('gone');
    expect(budget.stats().inUse).toBe(0);
  });

  it('release returns the grant and the buffers even when the file failed without giving them back; twice is once', async () => {
    const budget = new PartBudget(SIZE, 3);
    const lease = await budget.acquire(2, 3);
    lease.take(SIZE);
    lease.take(SIZE);
    // The file failed here: its pipeline never gave the buffers back.
    lease.release();
    lease.release();
    expect(budget.stats()).toMatchObject({ inUse: 0, idle: 2 });
    expect(() => lease.take(SIZE)).toThrow('after release');
    const again = await budget.acquire(3, 3);
    expect(again.granted).toBe(3);
  });
});

describe('PartBudget: buffers', () => {
  it('reuses buffers given back within a lease and across leases, up to keepIdle kept', async () => {
    const budget = new PartBudget(SIZE, 4, 1);
    const a = await budget.acquire(2, 4);
    const [b1, b2, b3] = [a.take(SIZE), a.take(SIZE), a.take(SIZE)];
    a.give(b2);
    expect(a.take(SIZE)).toBe(b2);
    a.release();
    // keepIdle 1: one of the three stays for the next file, the others are left to the GC.
    expect(budget.stats().idle).toBe(1);
    const next = await budget.acquire(1, 1);
    expect([b1, b2, b3]).toContain(next.take(SIZE));
  });

  it('a strict lease refuses a buffer past its grant (the one-part read: the file is larger than a part)', async () => {
    const budget = new PartBudget(SIZE, 4);
    const lease = await budget.acquire(1, 1, undefined, true);
    lease.take(SIZE);
    expect(() => lease.take(SIZE)).toThrow(PartBuffersExhausted);
  });

  it('any other lease gets a buffer past its grant, counted as overdrawn and not kept after release', async () => {
    const budget = new PartBudget(SIZE, 4);
    const lease: PartLease = await budget.acquire(1, 1);
    const own = lease.take(SIZE);
    const extra = lease.take(SIZE);
    expect(extra).not.toBe(own);
    expect(budget.stats()).toMatchObject({ inUse: 1, overdrawn: 1 });
    lease.release();
    expect(budget.stats()).toMatchObject({ inUse: 0, idle: 1 });
  });

  it('hands out buffers of its part size only', async () => {
    const lease = await new PartBudget(SIZE, 2).acquire(1, 1);
    expect(() => lease.take(SIZE + 1)).toThrow(RangeError);
  });
});

describe('defaultPartBuffers', () => {
  it('fits 48 MiB of parts, and never fewer than a multipart file needs', () => {
    expect(defaultPartBuffers(8 * MiB)).toBe(6);
    expect(defaultPartBuffers(16 * MiB)).toBe(3);
    expect(defaultPartBuffers(5 * MiB)).toBe(9);
    expect(defaultPartBuffers(48 * MiB)).toBe(2);
    expect(defaultPartBuffers(5120 * MiB)).toBe(2);
  });
});
