/**
 * Rows of the COPY stream, as views into the bytes read from the socket: row i is
 * `bytes[starts[i], ends[i])`, with its line feed. The bytes are never rewritten by the reader, so a
 * batch stays valid for as long as the consumer holds it.
 */
export interface RowBatch {
  bytes: Buffer;
  starts: readonly number[];
  ends: readonly number[];
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
 * rows are found by reading a 5-byte header per row, and are handed on as ranges of the read itself,
 * with no copy and no object per row (pg's parser makes a message object and a Buffer view per row,
 * and the rows had to be copied out of its reused buffer).
 *
 * A message split across reads is gathered into a buffer of its own. The exchange's end is left to
 * pg: at the first message that is not CopyData or an asynchronous one (CopyDone on success,
 * ErrorResponse when the query fails midway), `push` returns the bytes from there on, and the caller
 * gives them, and the socket, back to pg's parser, which then reports the command tag's row count,
 * the error and ReadyForQuery as for any query.
 */
export class CopyOutFrames {
  /** Header bytes of a message whose header itself was split across reads. */
  private readonly head = Buffer.alloc(HEADER);
  private headFill = 0;
  /** A message (header included) whose body spans reads, and how much of it has arrived. */
  private pending: Buffer | null = null;
  private pendingFill = 0;
  private ended = false;

  /** `aside` gets each asynchronous message (a notice, …) whole, header included, for pg to parse. */
  constructor(private readonly aside: (message: Buffer) => void) {}

  /**
   * Takes one read, in order. Its rows are appended to `out` as batches. Returns null while the COPY's
   * data goes on, or the bytes from the first message that is not this reader's: pg's from then on.
   */
  push(chunk: Buffer, out: RowBatch[]): Buffer | null {
    if (this.ended) throw new Error('COPY reader got bytes after handing the connection back');
    let pos = 0;
    if (this.headFill > 0) {
      pos = Math.min(HEADER - this.headFill, chunk.length);
      chunk.copy(this.head, this.headFill, 0, pos);
      this.headFill += pos;
      if (this.headFill < HEADER) return null;
      this.headFill = 0;
      if (!taken(this.head[0]!)) return this.end(Buffer.concat([this.head, chunk.subarray(pos)]));
      this.pending = Buffer.allocUnsafe(messageSize(this.head, 0));
      this.head.copy(this.pending, 0);
      this.pendingFill = HEADER;
    }
    if (this.pending !== null) {
      const n = Math.min(this.pending.length - this.pendingFill, chunk.length - pos);
      chunk.copy(this.pending, this.pendingFill, pos, pos + n);
      this.pendingFill += n;
      pos += n;
      if (this.pendingFill < this.pending.length) return null;
      const message = this.pending;
      this.pending = null;
      this.complete(message, 0, message.length, out);
    }
    let starts: number[] = [];
    let ends: number[] = [];
    while (chunk.length - pos >= HEADER) {
      const type = chunk[pos]!;
      const end = pos + messageSize(chunk, pos);
      if (type === COPY_DATA && end <= chunk.length) {
        starts.push(pos + HEADER);
        ends.push(end);
        pos = end;
        continue;
      }
      if (ends.length > 0) {
        out.push({ bytes: chunk, starts, ends });
        starts = [];
        ends = [];
      }
      if (!taken(type)) return this.end(chunk.subarray(pos));
      if (end > chunk.length) break;
      this.complete(chunk, pos, end, out);
      pos = end;
    }
    if (ends.length > 0) out.push({ bytes: chunk, starts, ends });
    const left = chunk.length - pos;
    if (left === 0) return null;
    if (left < HEADER) {
      chunk.copy(this.head, 0, pos);
      this.headFill = left;
      return null;
    }
    this.pending = Buffer.allocUnsafe(messageSize(chunk, pos));
    this.pendingFill = chunk.copy(this.pending, 0, pos);
    return null;
  }

  /** A whole message of this reader's at `bytes[start, end)`. */
  private complete(bytes: Buffer, start: number, end: number, out: RowBatch[]): void {
    const type = bytes[start];
    if (type === COPY_DATA) out.push({ bytes, starts: [start + HEADER], ends: [end] });
    else if (type !== COPY_OUT_RESPONSE) this.aside(bytes.subarray(start, end));
  }

  private end(rest: Buffer): Buffer {
    this.ended = true;
    return rest;
  }
}

/** Bytes of the message whose header starts at `bytes[at]`: the type byte plus the length it declares. */
function messageSize(bytes: Buffer, at: number): number {
  const length = bytes.readUInt32BE(at + 1);
  if (length < 4) throw new Error(`malformed message from Postgres during COPY: length ${length}`);
  return 1 + length;
}
