import type pg from 'pg';

/** Rows of the COPY stream: row i is `bytes[ends[i - 1] ?? 0, ends[i])`, each with its line feed. */
export interface RowBatch {
  bytes: Buffer;
  ends: readonly number[];
}

const BATCH_BYTES = 256 * 1024;
/** A socket read smaller than this means the reader is ahead of Postgres: let bytes gather a moment. */
const SMALL_READ = 32 * 1024;
const GATHER_MS = 1;
/** Why the socket is paused: the consumer is behind, or small reads are being gathered. */
const BEHIND = 1;
const GATHERING = 2;

type Socket = { pause(): unknown; resume(): unknown; on(e: 'data', f: (b: Buffer) => void): unknown; off(e: 'data', f: (b: Buffer) => void): unknown };

/**
 * Runs `COPY … TO STDOUT` on a pg client and yields its rows, in batches.
 *
 * In copy-out mode Postgres sends every row as its own CopyData message ("always one per row", in the
 * protocol's COPY flow), and pg's own parser already splits the messages. So the row boundaries of the
 * CSV come for free: nothing scans the bytes for quotes and line feeds, and nothing joins rows into
 * chunks only to split them again. That, and gathering small reads (onRead), took most of the reader's
 * CPU away compared with pg-copy-streams and a quote-aware framer (figures in docs/BENCHMARKS.md).
 *
 * pg's parser reuses its buffer, so a message's bytes are only valid while it is being dispatched:
 * each row is copied once, into a batch buffer of this reader. Batch buffers are recycled, so a batch
 * is valid until the consumer asks for the next one. While `highWater` batches wait, the socket is
 * paused: a consumer slower than Postgres (an S3 upload) holds memory flat, and Postgres waits behind
 * TCP backpressure.
 *
 * Usage: `client.query(copy)`, then `for await (const batch of copy)`. A consumer that stops before
 * the end leaves the connection in the middle of a COPY: it must discard the client (`release(err)`).
 */
export class CopyRows implements AsyncIterable<RowBatch> {
  /** The row count of Postgres's `COPY n` command tag, once the command completed. */
  rowCount: number | null = null;
  private readonly queue: RowBatch[] = [];
  private readonly free: Buffer[] = [];
  private current: { bytes: Buffer; ends: number[]; fill: number } | null = null;
  private flushQueued = false;
  private done = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;
  private stream: Socket | null = null;
  /** BEHIND | GATHERING bits; the socket is paused while any is set. */
  private holds = 0;

  constructor(
    readonly text: string,
    private readonly highWater = 16,
  ) {
    if (!/^\s*COPY\b[\s\S]*\bTO\s+STDOUT\b/i.test(text)) throw new RangeError('CopyRows runs COPY … TO STDOUT statements only');
    if (!Number.isInteger(highWater) || highWater < 1) throw new RangeError('highWater must be a positive integer');
  }

  /** Batches read and not yet taken by the consumer: `highWater`, plus what one socket read adds past it. */
  get waitingBatches(): number {
    return this.queue.length;
  }

  /** Stops the reader: the iterator throws `reason` at its next step. The caller then discards the client. */
  abort(reason: Error): void {
    this.fail(reason);
  }

  // ---- pg's Submittable interface: pg calls these while this query is the client's active one.

  submit(connection: pg.Connection): void {
    this.stream = (connection as unknown as { stream: Socket }).stream;
    // After pg's own listener has parsed the read (it was registered first).
    this.stream.on('data', this.onRead);
    connection.query(this.text);
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    const row = msg.chunk;
    let cur = this.current;
    if (cur !== null && cur.fill + row.length > cur.bytes.length) {
      this.flush();
      cur = null;
    }
    if (cur === null) {
      const bytes = row.length <= BATCH_BYTES ? (this.free.pop() ?? Buffer.allocUnsafe(BATCH_BYTES)) : Buffer.allocUnsafe(row.length);
      cur = this.current = { bytes, ends: [], fill: 0 };
    }
    row.copy(cur.bytes, cur.fill);
    cur.fill += row.length;
    cur.ends.push(cur.fill);
    // A waiting consumer gets the rows of this socket read as soon as pg has dispatched all of them.
    if (this.wake !== null && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushAndSignal);
    }
  }

  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)$/.exec(msg.text ?? '');
    if (m) this.rowCount = Number(m[1]);
  }

  handleReadyForQuery(): void {
    this.flush();
    this.done = true;
    // The connection goes back to pg for the next statement: flowing, without this reader.
    this.stream?.off('data', this.onRead);
    this.release(GATHERING);
    this.signal();
  }

  handleError(err: Error): void {
    this.fail(err);
  }

  handleEmptyQuery(): void {
    this.fail(new Error('COPY statement was empty'));
  }

  handleRowDescription(): void {
    this.fail(new Error('statement returned rows instead of a COPY stream'));
  }

  handleDataRow(): void {}

  handlePortalSuspended(): void {}

  handleCopyInResponse(): void {
    this.fail(new Error('statement started COPY FROM, not COPY TO STDOUT'));
  }

  // ---- the consumer's side

  async *[Symbol.asyncIterator](): AsyncIterator<RowBatch> {
    for (;;) {
      if (this.error) throw this.error;
      // The consumer is free: rows read since the last batch need not wait for a full buffer.
      if (this.queue.length === 0) this.flush();
      const next = this.queue.shift();
      if (next) {
        if (this.queue.length <= this.highWater >> 1) this.release(BEHIND);
        yield next;
        // The consumer is done with `next`: its buffer can take new rows.
        if (next.bytes.length === BATCH_BYTES) this.free.push(next.bytes);
        continue;
      }
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private flush(): void {
    const cur = this.current;
    if (cur === null) return;
    this.current = null;
    this.queue.push({ bytes: cur.bytes, ends: cur.ends });
    if (this.queue.length >= this.highWater) this.hold(BEHIND);
  }

  /**
   * A local Postgres sends a few KiB at a time, and a reader that keeps up wakes for each send: those
   * wakeups were most of this reader's CPU (docs/BENCHMARKS.md). After a small read, pausing for a
   * millisecond lets the kernel gather the next sends (Postgres keeps writing into the socket buffer
   * meanwhile), so one wakeup takes them all.
   */
  private readonly onRead = (chunk: Buffer): void => {
    if (this.done || chunk.length >= SMALL_READ || this.holds & GATHERING) return;
    this.hold(GATHERING);
    setTimeout(() => this.release(GATHERING), GATHER_MS);
  };

  private hold(reason: number): void {
    if (this.holds === 0) this.stream?.pause();
    this.holds |= reason;
  }

  private release(reason: number): void {
    if (!(this.holds & reason)) return;
    this.holds &= ~reason;
    if (this.holds === 0) this.stream?.resume();
  }

  private readonly flushAndSignal = (): void => {
    this.flushQueued = false;
    this.flush();
    this.signal();
  };

  private fail(err: Error): void {
    this.error ??= err;
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
