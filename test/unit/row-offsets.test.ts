import { describe, expect, it } from 'vitest';
import { RowOffsets, RowOffsetsPool } from '../../src/export/row-offsets.js';

describe('RowOffsets', () => {
  it('keeps every row it was given as it doubles past its first size', () => {
    const offsets = new RowOffsets(2);
    for (let i = 0; i < 9; i++) offsets.add(i * 10, i * 10 + 7);
    expect(offsets.count).toBe(9);
    expect(offsets.starts.length).toBe(16);
    expect(Array.from(offsets.starts.subarray(0, 9))).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
    expect(Array.from(offsets.ends.subarray(0, 9))).toEqual([7, 17, 27, 37, 47, 57, 67, 77, 87]);
  });
});

describe('RowOffsetsPool', () => {
  const bytes = Buffer.from('a\nbb\nccc\n');

  it("a batch views its offsets' rows; released, they are taken again, empty and at their grown size", () => {
    const pool = new RowOffsetsPool();
    const offsets = pool.take();
    for (let i = 0; i < 1000; i++) offsets.add(0, 2);
    const batch = pool.batch(bytes, offsets);
    expect(batch.bytes).toBe(bytes);
    expect(batch.starts.length).toBe(1000);
    expect(batch.ends.length).toBe(1000);
    // Not released yet: the next batch's offsets are others.
    expect(pool.take()).not.toBe(offsets);
    pool.release(batch);
    const again = pool.take();
    expect(again).toBe(offsets);
    expect(again.count).toBe(0);
    expect(again.starts.length).toBeGreaterThanOrEqual(1000);
  });

  it('gives offsets back once however often a batch is released, and ignores batches that are not its kind', () => {
    const pool = new RowOffsetsPool();
    const offsets = pool.take();
    offsets.add(0, 2);
    const batch = pool.batch(bytes, offsets);
    pool.release(batch);
    pool.release(batch);
    pool.release({ bytes, starts: [0], ends: [2] });
    expect(pool.take()).toBe(offsets);
    expect(pool.take()).not.toBe(offsets);
  });
});
