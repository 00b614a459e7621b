import type { RowBatch } from './copy-out-frames.js';

/**
 * Where each row of a batch starts and ends, in typed arrays reused from batch to batch. A JS array
 * pushed a row at a time reallocates as it grows: for a big day that was most of what the export
 * allocated, and so most of its garbage collections. See docs/BENCHMARKS.md,
 * "Row offsets in reused arrays".
 */
export class RowOffsets {
  starts: Uint32Array;
  ends: Uint32Array;
  count = 0;

  /** `capacity`: rows it has room for at first; it doubles when full and keeps its size when reused. */
  constructor(capacity = 512) {
    this.starts = new Uint32Array(capacity);
    this.ends = new Uint32Array(capacity);
  }

  add(start: number, end: number): void {
    if (this.count === this.starts.length) this.grow();
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
  }

  private grow(): void {
    const starts = new Uint32Array(this.starts.length * 2);
    const ends = new Uint32Array(this.ends.length * 2);
    starts.set(this.starts);
    ends.set(this.ends);
    this.starts = starts;
    this.ends = ends;
  }
}

/** A batch that views pooled offsets: they go back to the pool once, when the batch is released. */
class PooledBatch implements RowBatch {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  released = false;

  constructor(
    readonly bytes: Buffer,
    readonly offsets: RowOffsets,
  ) {
    this.starts = offsets.starts.subarray(0, offsets.count);
    this.ends = offsets.ends.subarray(0, offsets.count);
  }
}

/**
 * The offsets of the batch being filled, and of the batches handed out, reused once released: how
 * many exist is bounded by the batches a reader lets wait.
 */
export class RowOffsetsPool {
  private readonly free: RowOffsets[] = [];

  take(): RowOffsets {
    return this.free.pop() ?? new RowOffsets();
  }

  /** The rows of `offsets` in `bytes` as a batch; `offsets` belongs to the batch until it is released. */
  batch(bytes: Buffer, offsets: RowOffsets): RowBatch {
    return new PooledBatch(bytes, offsets);
  }

  /** The consumer is done with `batch`: its offsets are reused (once, however often it is released). */
  release(batch: RowBatch): void {
    if (!(batch instanceof PooledBatch) || batch.released) return;
    batch.released = true;
    batch.offsets.count = 0;
    this.free.push(batch.offsets);
  }
}
