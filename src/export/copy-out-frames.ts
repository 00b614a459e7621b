import { RowOffsetsPool } from './row-offsets.js';

/**
 * Rows of the COPY stream: row i is `bytes[starts[i], ends[i])`, with its line feed. A batch's bytes
 * and offsets stay unchanged until the consumer releases it (CopyOutFrames.release, which CopyRows
 * calls when the consumer asks for the next batch).
 */
export interface RowBatch {
  bytes: Buffer;
  starts: ArrayLike<number>;
  ends: ArrayLike<number>;
}

/** Bytes of the rows of `batch` (the protocol's headers between them not counted). */
export function batchBytes(batch: RowBatch): number {
  let n = 0;
  for (let i = 0; i < batch.ends.length; i++) n += batch.ends[i]! - batch.starts[i]!;
  return n;
}

const COPY_DATA = 0x64; // 'd'
const COPY_OUT_RESPONSE = 0x48; // 'H'
// Messages the server may send at any time, also in the middle of a COPY (protocol-flow.html, "COPY
// Operations" and "Asynchronous Operations"): they are handed to pg one by one, and the COPY goes on.
const NOTICE_RESPONSE = 0x4e; // 'N'
const PARAMETER_STATUS = 0x53; // 'S'
const NOTIFICATION_RESPONSE = 0x41; // 'A'
/** Type byte and the int32 length that counts itself. */
const HEADER = 5;

/** What this reader takes; anything else (CopyDone, ErrorResponse, …) ends its part of the exchange. */
function taken(type: number): boolean {
  return type === COPY_DATA || type === COPY_OUT_RESPONSE || type === NOTICE_RESPONSE || type === PARAMETER_STATUS || type === NOTIFICATION_RESPONSE;
}

/**
 * Splits the bytes Postgres sends in answer to `COPY … TO STDOUT`, read straight off the socket, into
 * rows. Copy-out sends each row as its own CopyData message, so the message framing is the row framing:
 * a row is found by reading its 5-byte header, with no object and no copy of its own. Each read (a
 * view of the socket's reused buffer, src/db/reused-buffer-socket.ts, valid only while it is pushed)
 * is copied once, whole, into a recycled buffer of this reader, and rows are handed on as ranges of
 * that buffer. pg's parser, by contrast, makes a message object and a Buffer view per row, out of a
 * buffer it reuses, so every row had to be copied out of it again.
 *
 * The exchange's end is left to pg: at the first message that is not CopyData or an asynchronous one
 * (CopyDone on success, ErrorResponse when the query fails midway), `push` returns a copy of the bytes
 * from there on, and the caller gives them, and the socket, back to pg's parser, which then reports
 * the command tag's row count, the error and ReadyForQuery as for any query.
 */
export class CopyOutFrames {
  private buf: Buffer;
  /** Bytes of `buf` written, and the offset of its first message not parsed yet (at most one, partial). */
  private fill = 0;
  private parsed = 0;
  private readonly offsetsPool = new RowOffsetsPool();
  /** Rows parsed and not yet in a batch: all in `buf`. */
  private offsets = this.offsetsPool.take();
  /** Batches handed out and not released, per buffer: a buffer is reused only once none is left. */
  private readonly outstanding = new Map<Buffer, number>();
  private readonly free: Buffer[] = [];
  private ended = false;

  /** `aside` gets each asynchronous message (a notice, …) whole, header included, as a copy, for pg to parse. */
  constructor(
    private readonly aside: (message: Buffer) => void,
    private readonly bufferBytes = 256 * 1024,
  ) {
    if (!Number.isInteger(bufferBytes) || bufferBytes < HEADER) throw new RangeError(`bufferBytes must be an integer of at least ${HEADER}`);
    this.buf = Buffer.allocUnsafe(bufferBytes);
  }

  /**
   * Takes one read, in order. Rows that fill a buffer are appended to `out` as a batch; the rest wait
   * for `flush`. Returns null while the COPY's data goes on, or the bytes from the first message that is
   * not this reader's (then every row before it is in `out`): pg's from then on.
   */
  push(chunk: Buffer, out: RowBatch[]): Buffer | null {
    if (this.ended) throw new Error('COPY reader got bytes after handing the connection back');
    let pos = 0;
    while (pos < chunk.length) {
      if (this.fill === this.buf.length) this.rotate(out);
      const n = Math.min(this.buf.length - this.fill, chunk.length - pos);
      chunk.copy(this.buf, this.fill, pos, pos + n);
      this.fill += n;
      pos += n;
      if (this.parse()) {
        this.ended = true;
        this.flush(out);
        return Buffer.concat([this.buf.subarray(this.parsed, this.fill), chunk.subarray(pos)]);
      }
    }
    return null;
  }

  /** Appends the rows parsed since the last batch, if any, to `out` as a batch. */
  flush(out: RowBatch[]): void {
    const offsets = this.offsets;
    if (offsets.count === 0) return;
    out.push(this.offsetsPool.batch(this.buf, offsets));
    this.outstanding.set(this.buf, (this.outstanding.get(this.buf) ?? 0) + 1);
    this.offsets = this.offsetsPool.take();
  }

  /**
   * The consumer is done with `batch`: its offsets are reused, and its buffer takes new reads once no
   * other batch holds it.
   */
  release(batch: RowBatch): void {
    this.offsetsPool.release(batch);
    const held = this.outstanding.get(batch.bytes);
    if (held === undefined) return;
    if (held > 1) {
      this.outstanding.set(batch.bytes, held - 1);
      return;
    }
    this.outstanding.delete(batch.bytes);
    if (batch.bytes !== this.buf) this.recycle(batch.bytes);
  }

  /** Parses the whole messages of `buf`; true at the first message that is not this reader's. */
  private parse(): boolean {
    const buf = this.buf;
    const fill = this.fill;
    let at = this.parsed;
    while (fill - at >= HEADER) {
      const type = buf[at]!;
      if (!taken(type)) {
        this.parsed = at;
        return true;
      }
      const end = at + messageSize(buf, at);
      if (end > fill) break;
      if (type === COPY_DATA) this.offsets.add(at + HEADER, end);
      else if (type !== COPY_OUT_RESPONSE) this.aside(Buffer.from(buf.subarray(at, end)));
      at = end;
    }
    this.parsed = at;
    return false;
  }

  /** `buf` is full: its rows become a batch, and the message it ends in moves to the next buffer. */
  private rotate(out: RowBatch[]): void {
    this.flush(out);
    const old = this.buf;
    const tail = this.fill - this.parsed;
    const size = tail >= HEADER ? messageSize(old, this.parsed) : 0;
    // A message larger than a buffer (a very wide row) gets a buffer of its own size, not recycled.
    const next = size > this.bufferBytes ? Buffer.allocUnsafe(size) : (this.free.pop() ?? Buffer.allocUnsafe(this.bufferBytes));
    old.copy(next, 0, this.parsed, this.fill);
    this.buf = next;
    this.fill = tail;
    this.parsed = 0;
    if (!this.outstanding.has(old)) this.recycle(old);
  }

  /**
   * Every buffer of the usual size is kept for reuse: how many exist is bounded by the batches the
   * caller lets wait (CopyRows pauses the socket at its high-water mark), and a buffer dropped instead
   * would be allocated again a moment later, external memory that only V8's full collections free.
   */
  private recycle(buffer: Buffer): void {
    if (buffer.length === this.bufferBytes) this.free.push(buffer);
  }
}

/** Bytes of the message whose header starts at `bytes[at]`: the type byte plus the length it declares. */
function messageSize(bytes: Buffer, at: number): number {
  const length = bytes.readUInt32BE(at + 1);
  if (length < 4) throw new Error(`malformed message from Postgres during COPY: length ${length}`);
  return 1 + length;
}
