import type pg from 'pg';
import { CopyOutFrames, type RowBatch } from './copy-out-frames.js';

export type { RowBatch } from './copy-out-frames.js';

/** A socket read smaller than this means the reader is ahead of Postgres: let bytes gather a moment. */
const SMALL_READ = 32 * 1024;
const GATHER_MS = 1;
/** Why the socket is paused: the consumer is behind, or small reads are being gathered. */
const BEHIND = 1;
const GATHERING = 2;

type DataListener = (chunk: Buffer) => void;
type Socket = {
  pause(): unknown;
  resume(): unknown;
  on(e: 'data', f: DataListener): unknown;
  off(e: 'data', f: DataListener): unknown;
  listeners(e: 'data'): DataListener[];
};

/**
 * Runs `COPY … TO STDOUT` on a pg client and yields its rows, in batches.
 *
 * In copy-out mode Postgres sends every row as its own CopyData message ("always one per row", in the
 * protocol's COPY flow), so the row boundaries of the CSV come from the protocol's framing: nothing
 * scans the bytes for quotes and line feeds. The reader takes the socket over from pg's parser for the
 * COPY's data (copy-out-frames.ts): a batch is the rows of one socket read, as ranges of the bytes read,
 * so the only copy of a row is the one into its part. pg gets the socket back at the COPY's end, or at
 * an error, and reports the command tag's row count and errors through this query's callbacks.
 *
 * While `highWater` batches wait, the socket is paused: a consumer slower than Postgres (an S3
 * upload) holds memory flat, and Postgres waits behind TCP backpressure.
 *
 * Usage: `client.query(copy)`, then `for await (const batch of copy)`. A consumer that stops before
 * the end leaves the connection in the middle of a COPY: it must discard the client (`release(err)`).
 */
export class CopyRows implements AsyncIterable<RowBatch> {
  /** The row count of Postgres's `COPY n` command tag, once the command completed. */
  rowCount: number | null = null;
  private readonly queue: RowBatch[] = [];
  private done = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;
  private stream: Socket | null = null;
  /** pg's own 'data' listeners, off the socket while this reader has it. */
  private pgListeners: DataListener[] = [];
  private frames: CopyOutFrames | null = null;
  /** BEHIND | GATHERING bits; the socket is paused while any is set. */
  private holds = 0;

  constructor(
    readonly text: string,
    private readonly highWater = 32,
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
    const stream = (connection as unknown as { stream: Socket }).stream;
    this.stream = stream;
    // Postgres answers only after the query is sent, so every byte from here on is this COPY's.
    this.pgListeners = stream.listeners('data');
    for (const listener of this.pgListeners) stream.off('data', listener);
    this.frames = new CopyOutFrames((message) => this.toPg(message));
    stream.on('data', this.onRead);
    connection.query(this.text);
  }

  /** Only reached if pg parsed the COPY's data itself, which this reader never lets it. */
  handleCopyData(): void {
    this.fail(new Error('COPY data reached pg while the reader held the socket'));
  }

  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)$/.exec(msg.text ?? '');
    if (m) this.rowCount = Number(m[1]);
  }

  handleReadyForQuery(): void {
    this.done = true;
    this.handBack(null);
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
      const next = this.queue.shift();
      if (next) {
        if (this.queue.length <= this.highWater >> 1) this.release(BEHIND);
        yield next;
        continue;
      }
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /**
   * Every socket read while this reader holds the socket. A local Postgres sends a few KiB at a time,
   * and a reader that keeps up wakes for each send: those wakeups were most of the reader's CPU
   * (docs/BENCHMARKS.md). After a small read, pausing for a millisecond lets the kernel gather the next
   * sends (Postgres keeps writing into the socket buffer meanwhile), so one wakeup takes them all.
   */
  private readonly onRead = (chunk: Buffer): void => {
    let rest: Buffer | null;
    try {
      rest = this.frames!.push(chunk, this.queue);
    } catch (err) {
      // The bytes are no longer the protocol: the consumer throws, and the caller discards the client.
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.queue.length >= this.highWater) this.hold(BEHIND);
    if (rest !== null) this.handBack(rest);
    else if (chunk.length < SMALL_READ && !(this.holds & GATHERING)) {
      this.hold(GATHERING);
      setTimeout(() => this.release(GATHERING), GATHER_MS);
    }
    this.signal();
  };

  /** Gives the socket back to pg's parser, with the bytes it has to parse first (CopyDone onwards). */
  private handBack(rest: Buffer | null): void {
    const stream = this.stream;
    if (stream === null || this.frames === null) return;
    this.frames = null;
    stream.off('data', this.onRead);
    for (const listener of this.pgListeners) stream.on('data', listener);
    if (rest !== null && rest.length > 0) this.toPg(rest);
  }

  private toPg(bytes: Buffer): void {
    for (const listener of this.pgListeners) listener.call(this.stream, bytes);
  }

  private hold(reason: number): void {
    if (this.holds === 0) this.stream?.pause();
    this.holds |= reason;
  }

  private release(reason: number): void {
    if (!(this.holds & reason)) return;
    this.holds &= ~reason;
    if (this.holds === 0) this.stream?.resume();
  }

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
