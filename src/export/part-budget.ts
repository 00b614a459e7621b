import type { PartBuffers } from './buffer-pool.js';

/**
 * The worker's part buffers, counted for the whole process. Each file being exported holds part
 * buffers (one filling, the others uploading), so without a bound the worker's memory grows with the
 * files in flight: backfill concurrency × tables, plus every scheduled export firing at once. Here a
 * fixed number of part-size buffers is shared: a file waits for its buffers instead of allocating more.
 *
 * Deadlock: a file is granted its minimum all at once (never a part of it), and more only if they are
 * free at that moment; it never asks again while it runs. So a file holding buffers never waits for
 * another's, and every grant can complete with what it holds. Waiters are served in arrival order, so a
 * file needing two buffers is not starved by a stream of files needing one.
 *
 * What is kept: buffers handed back are reused by the next lease, up to `keepIdle` of them (the worker
 * keeps all: at most `total` buffers ever exist, whatever the GC does); the rest are dropped, for the
 * GC to free. A dropped buffer lingers as external memory until a GC notices it while its successor is
 * allocated, so dropping trades a bound for idle memory.
 */

/** Thrown by a lease asked for more buffers than it was granted: the caller cut more parts than it said. */
export class PartBuffersExhausted extends Error {
  constructor(granted: number) {
    super(`a file asked for more than the ${granted} part buffer(s) it was granted`);
  }
}

/** Buffers one file may use, handed to the pipeline as its PartBuffers. */
export interface PartLease extends PartBuffers {
  /** Buffers this file may hold at once. */
  readonly granted: number;
  /** A buffer of `size` bytes (the budget's part size); throws PartBuffersExhausted past `granted`. */
  take(size: number): Buffer;
  /** Returns the grant (and every buffer given back) to the budget. Idempotent. */
  release(): void;
}

export interface PartBudgetStats {
  total: number;
  /** Granted to leases now. */
  inUse: number;
  /** Files waiting for a grant. */
  waiting: number;
  /** Allocated buffers kept for reuse. */
  idle: number;
  /** Buffers ever handed out past a lease's grant (see acquire). */
  overdrawn: number;
}

interface Waiter {
  min: number;
  want: number;
  strict: boolean;
  resolve: (lease: PartLease) => void;
}

export class PartBudget {
  private granted = 0;
  private overdrawn = 0;
  private readonly idle: Buffer[] = [];
  private readonly waiters: Waiter[] = [];

  /**
   * `total`: part buffers for the whole process; `keepIdle`: buffers kept for reuse when no lease holds
   * them (see the file's comment).
   */
  constructor(
    readonly partSize: number,
    readonly total: number,
    private readonly keepIdle: number = total,
  ) {
    if (!Number.isInteger(partSize) || partSize <= 0) throw new RangeError('partSize must be a positive integer');
    if (!Number.isInteger(total) || total < 1) throw new RangeError('total must be a positive integer');
    if (!Number.isInteger(keepIdle) || keepIdle < 0) throw new RangeError('keepIdle must be a non-negative integer');
  }

  /**
   * Resolves with a lease of at least `min` and at most `want` buffers, once `min` are free. Rejects
   * with the signal's reason if it aborts first (the activity was cancelled), and at once when `min`
   * exceeds the whole budget, which could never be granted.
   *
   * The caller sizes its parts in flight to the grant, so a lease is not asked for more, with one
   * exception it cannot foresee: a format's encoder may write several parts' bytes at once as it
   * finishes (a Parquet row group, the last gzip member), cut before any of them is uploaded. A
   * `strict` lease then throws PartBuffersExhausted (the one-part read wants exactly that: the file
   * is larger than a part); any other gets buffers of its own past the grant, dropped when it is
   * released and counted in stats().overdrawn, so a budget never fails an export.
   */
  acquire(min: number, want: number, signal?: AbortSignal, strict = false): Promise<PartLease> {
    if (!Number.isInteger(min) || min < 1) throw new RangeError('min must be a positive integer');
    if (min > this.total) return Promise.reject(new RangeError(`a file needs ${min} part buffers, more than the worker's ${this.total} (WORKER_PART_BUFFERS)`));
    const upTo = Math.max(min, want);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.waiters.length === 0 && this.free >= min) return Promise.resolve(this.grant(min, upTo, strict));
    return new Promise<PartLease>((resolve, reject) => {
      const waiter: Waiter = {
        min,
        want: upTo,
        strict,
        resolve: (lease) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(lease);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortReason(signal!));
        // The head of the queue may have been what held the next ones back.
        this.serve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  stats(): PartBudgetStats {
    return { total: this.total, inUse: this.granted, waiting: this.waiters.length, idle: this.idle.length, overdrawn: this.overdrawn };
  }

  private get free(): number {
    return this.total - this.granted;
  }

  private grant(min: number, want: number, strict: boolean): PartLease {
    const n = Math.min(want, Math.max(min, this.free));
    this.granted += n;
    const mine = new Set<Buffer>();
    const overdraft = new Set<Buffer>();
    const back: Buffer[] = [];
    let released = false;
    const lease: PartLease = {
      granted: n,
      take: (size) => {
        if (released) throw new Error('part lease used after release');
        if (size !== this.partSize) throw new RangeError(`part buffers are ${this.partSize} bytes, asked for ${size}`);
        const reused = back.pop();
        if (reused) return reused;
        if (mine.size >= n) {
          if (strict) throw new PartBuffersExhausted(n);
          // Past the grant (see acquire): a buffer of its own that no budget keeps.
          this.overdrawn++;
          const extra = Buffer.allocUnsafe(this.partSize);
          mine.add(extra);
          overdraft.add(extra);
          return extra;
        }
        const buffer = this.idle.pop() ?? Buffer.allocUnsafe(this.partSize);
        mine.add(buffer);
        return buffer;
      },
      give: (buffer) => {
        if (!released && mine.has(buffer) && !back.includes(buffer)) back.push(buffer);
      },
      release: () => {
        if (released) return;
        released = true;
        // Every buffer the lease took comes back, given back or not: the lease's holder is done with all.
        for (const buffer of mine) if (!overdraft.has(buffer) && this.idle.length < this.keepIdle) this.idle.push(buffer);
        mine.clear();
        back.length = 0;
        this.granted -= n;
        this.serve();
      },
    };
    return lease;
  }

  private serve(): void {
    while (this.waiters.length > 0 && this.free >= this.waiters[0]!.min) {
      const w = this.waiters.shift()!;
      w.resolve(this.grant(w.min, w.want, w.strict));
    }
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('part buffer wait aborted');
}

/**
 * What the worker aims part buffers at when WORKER_PART_BUFFERS is unset: with the image's 6 MiB
 * parts, four multipart files at full overlap (two buffers each: streamParts), the year-long
 * backfill's peak under the 256 MB bar (docs/BENCHMARKS.md, "6 MiB parts in the image", "One part
 * buffer fewer per file" and "Soak").
 */
export const PART_BUFFER_TARGET_MIB = 48;

/**
 * WORKER_PART_BUFFERS' default: as many parts as fit in PART_BUFFER_TARGET_MIB, and never fewer than
 * one multipart file needs (MIN_MULTIPART_BUFFERS).
 */
export function defaultPartBuffers(partSize: number): number {
  return Math.max(MIN_MULTIPART_BUFFERS, Math.floor((PART_BUFFER_TARGET_MIB * 2 ** 20) / partSize));
}

/** A multipart file's least: one part filling while the one before it uploads. */
export const MIN_MULTIPART_BUFFERS = 2;
