import type pg from 'pg';
import { DIRECT_READER, isReusedBufferSocket } from '../db/reused-buffer-socket.js';
import { CopyOutFrames, type RowBatch } from './copy-out-frames.js';
import { RowOffsetsPool, type RowOffsets } from './row-offsets.js';

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
  emit(e: 'data', chunk: Buffer): unknown;
};

/**
 * Runs `COPY … TO STDOUT` on a pg client and yields its rows, in batches.
 *
 * In copy-out mode Postgres sends every row as its own CopyData message ("always one per row", in the
 * protocol's COPY flow), so the row boundaries of the CSV come from the protocol's framing: nothing
 * scans the bytes for quotes and line feeds. How the messages are read depends on the client's socket:
 *
 * - A socket that reads into a reused buffer (src/db/reused-buffer-socket.ts, plain TCP: what
 *   createPool gives unless the connection uses TLS): this reader takes the COPY's data off the socket
 *   itself (copy-out-frames.ts), so a row costs no message object of pg's and no copy of its own. pg
 *   gets the socket back at the COPY's end, or at an error, and reports the command tag's row count
 *   and errors through this query's callbacks.
 * - Any other socket (TLS): pg's parser splits the messages and hands each row over (handleCopyData),
 *   and the row is copied into a batch buffer of this reader, since pg reuses its own buffer. Taking
 *   these reads over would cost more than it saves: each is a fresh buffer that V8 then frees only in
 *   full collections (docs/BENCHMARKS.md, "COPY reads into a reused buffer").
 *
 * A batch is valid until the consumer asks for the next one. While `highWater` batches wait, the
 * socket is paused: a consumer slower than Postgres (an S3 upload) holds memory flat, and Postgres
 * waits behind TCP backpressure.
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
  /** Reused-buffer sockets: the frame reader while it holds the socket. */
  private frames: CopyOutFrames | null = null;
  /** Reused-buffer sockets: the frame reader, also after it handed the socket back (batches go back to it). */
  private reader: CopyOutFrames | null = null;
  /** Other sockets: the batch rows from pg's parser are copied into, and spare batch buffers and offsets. */
  private current: { bytes: Buffer; offsets: RowOffsets; fill: number } | null = null;
  private readonly offsetsPool = new RowOffsetsPool();
  private readonly free: Buffer[] = [];
  private flushQueued = false;
  /** BEHIND | GATHERING bits; the socket is paused while any is set. */
  private holds = 0;

  constructor(
    readonly text: string,
    private readonly highWater = 16,
    /** Size of the reader's buffers: a batch holds at most this many bytes of rows (unless one row is larger). */
    private readonly bufferBytes = 256 * 1024,
  ) {
    if (!/^\s*COPY\b[\s\S]*\bTO\s+STDOUT\b/i.test(text)) throw new RangeError('CopyRows runs COPY … TO STDOUT statements only');
    if (!Number.isInteger(highWater) || highWater < 1) throw new RangeError('highWater must be a positive integer');
    if (!Number.isInteger(bufferBytes) || bufferBytes < 64) throw new RangeError('bufferBytes must be an integer of at least 64');
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
    if (isReusedBufferSocket(stream)) {
      // Postgres answers only after the query is sent, so every read from here on is this COPY's.
      this.frames = this.reader = new CopyOutFrames((message) => stream.emit('data', message), this.bufferBytes);
      stream[DIRECT_READER] = this.onFrames;
    } else {
      // After pg's own listener has parsed the read (it was registered first).
      stream.on('data', this.onParsedRead);
    }
    connection.query(this.text);
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    if (this.reader !== null) {
      this.fail(new Error('COPY data reached pg while the reader held the socket'));
      return;
    }
    const row = msg.chunk;
    let cur = this.current;
    if (cur !== null && cur.fill + row.length > cur.bytes.length) {
      this.flushParsed();
      cur = null;
    }
    if (cur === null) {
      const bytes = row.length <= this.bufferBytes ? (this.free.pop() ?? Buffer.allocUnsafe(this.bufferBytes)) : Buffer.allocUnsafe(row.length);
      cur = this.current = { bytes, offsets: this.offsetsPool.take(), fill: 0 };
    }
    row.copy(cur.bytes, cur.fill);
    cur.offsets.add(cur.fill, cur.fill + row.length);
    cur.fill += row.length;
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
    this.flushParsed();
    this.done = true;
    // The connection goes back to pg for the next statement: flowing, without this reader.
    this.stream?.off('data', this.onParsedRead);
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
      if (this.queue.length === 0) {
        this.frames?.flush(this.queue);
        this.flushParsed();
      }
      const next = this.queue.shift();
      if (next) {
        if (this.queue.length <= this.highWater >> 1) this.release(BEHIND);
        yield next;
        // The consumer is done with `next`: its buffer can take new rows.
        if (this.reader !== null) this.reader.release(next);
        else {
          this.offsetsPool.release(next);
          if (next.bytes.length === this.bufferBytes) this.free.push(next.bytes);
        }
        continue;
      }
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /**
   * Every read of a reused-buffer socket while this reader holds it: a view of the socket's buffer,
   * copied by the frame reader before this returns.
   */
  private readonly onFrames = (chunk: Buffer): void => {
    const frames = this.frames;
    if (frames === null) return;
    let rest: Buffer | null;
    try {
      rest = frames.push(chunk, this.queue);
      // A waiting consumer gets this read's rows now, not once a buffer is full.
      if (this.wake !== null) frames.flush(this.queue);
    } catch (err) {
      // The bytes are no longer the protocol: the consumer throws, and the caller discards the client.
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.queue.length >= this.highWater) this.hold(BEHIND);
    if (rest !== null) this.handBack(rest);
    else this.gather(chunk.length);
    if (this.queue.length > 0) this.signal();
  };

  /** Every read of any other socket, after pg's parser has dispatched its rows. */
  private readonly onParsedRead = (chunk: Buffer): void => {
    if (!this.done) this.gather(chunk.length);
  };

  /**
   * A local Postgres sends a few KiB at a time, and a reader that keeps up wakes for each send: those
   * wakeups were most of this reader's CPU (docs/BENCHMARKS.md). After a small read, pausing for a
   * millisecond lets the kernel gather the next sends (Postgres keeps writing into the socket buffer
   * meanwhile), so one wakeup takes them all.
   */
  private gather(readBytes: number): void {
    if (readBytes >= SMALL_READ || this.holds & GATHERING) return;
    this.hold(GATHERING);
    setTimeout(() => this.release(GATHERING), GATHER_MS);
  }

  /** Gives a reused-buffer socket back to pg's parser, with the bytes it has to parse first (CopyDone onwards). */
  private handBack(rest: Buffer): void {
    const stream = this.stream;
    const frames = this.frames;
    if (stream === null || frames === null || !isReusedBufferSocket(stream)) return;
    frames.flush(this.queue);
    this.frames = null;
    stream[DIRECT_READER] = null;
    // A copy (CopyOutFrames.push): pg's parser may hold on to a buffer it was given and append to it.
    if (rest.length > 0) stream.emit('data', rest);
  }

  private flushParsed(): void {
    const cur = this.current;
    if (cur === null) return;
    this.current = null;
    this.queue.push(this.offsetsPool.batch(cur.bytes, cur.offsets));
    if (this.queue.length >= this.highWater) this.hold(BEHIND);
  }

  private readonly flushAndSignal = (): void => {
    this.flushQueued = false;
    this.flushParsed();
    this.signal();
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
