/**
 * Part buffers shared by the uploads of one process. A part's Buffer lives outside the V8 heap and is
 * freed only once a GC notices it is garbage, so an export that starts while the previous export's
 * buffers await collection holds both sets, and the worker's peak memory grows with back-to-back
 * exports (docs/BENCHMARKS.md). Handing buffers back here keeps the worker at one set per upload
 * running at once.
 */
/** Where the pipeline gets its part buffers and gives them back (this pool, or a PartBudget lease). */
export interface PartBuffers {
  /** A buffer of exactly `size` bytes with arbitrary contents. */
  take(size: number): Buffer;
  /** Returns a buffer nobody reads or writes any more. */
  give(buffer: Buffer): void;
}

export class BufferPool implements PartBuffers {
  private readonly idle = new Map<number, Buffer[]>();

  /** `maxIdle`: buffers of one size kept between uploads; more go to the GC. */
  constructor(private readonly maxIdle: number) {
    if (!Number.isInteger(maxIdle) || maxIdle < 0) throw new RangeError('maxIdle must be a non-negative integer');
  }

  /** A buffer of exactly `size` bytes with arbitrary contents. */
  take(size: number): Buffer {
    return this.idle.get(size)?.pop() ?? Buffer.allocUnsafe(size);
  }

  /** Returns a buffer nobody reads or writes any more. */
  give(buffer: Buffer): void {
    let list = this.idle.get(buffer.length);
    if (!list) this.idle.set(buffer.length, (list = []));
    if (list.length < this.maxIdle) list.push(buffer);
  }

  /** Buffers waiting for reuse, all sizes together. */
  get idleCount(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }
}
