import type { RowKey } from './query.js';
import { resolveKey, type KeyFields } from './row-framer.js';

/**
 * Where a part begins, in terms the database can replay: take the stream of rows after `after`
 * (with the header first when `after` is null), drop `skip` bytes, and the next byte is the part's
 * first. Rebuilding a part after a crash from its cursor therefore yields the same bytes.
 */
export interface Cursor {
  /** Rows wholly written before this point. */
  rows: number;
  after: RowKey | null;
  skip: number;
}

export const START_CURSOR: Cursor = { rows: 0, after: null, skip: 0 };

export interface BuiltPart {
  partNumber: number;
  body: Buffer;
  /** Where the following part starts; null for the file's last part. */
  next: Cursor | null;
  /** Rows wholly written when this part ends. */
  rows: number;
}

/** Splits the file's bytes into parts of exactly `partSize` bytes, except the last. */
export class PartAssembler {
  private buf: Buffer;
  private fill = 0;
  private toSkip: number;
  private rows: number;
  private lastKey: RowKey | null;
  /** Key fields of the last row that ended, resolved into `lastKey` only when a part is cut. */
  private pendingKey: KeyFields | null = null;
  /** Stream bytes (skipped ones included) since the end of the row `lastKey`. */
  private sinceKey = 0;
  private partNumber: number;
  private readonly ready: BuiltPart[] = [];

  constructor(
    private readonly partSize: number,
    start: Cursor,
    firstPartNumber: number,
    private readonly keyOf: (fields: readonly string[], rowsSoFar: number) => RowKey,
    /** Where part buffers come from: lets the caller recycle buffers of uploaded parts. */
    private readonly allocate: () => Buffer = () => Buffer.allocUnsafe(partSize),
  ) {
    if (!Number.isInteger(partSize) || partSize <= 0) throw new RangeError('partSize must be a positive integer');
    this.buf = this.allocate();
    this.toSkip = start.skip;
    this.rows = start.rows;
    this.lastKey = start.after;
    this.partNumber = firstPartNumber;
  }

  /** Bytes `bytes[start, end)` of the file; ranges avoid a subarray object per row on the hot path. */
  data(bytes: Buffer, start = 0, end = bytes.length): void {
    let pos = start;
    if (this.toSkip > 0) {
      const n = Math.min(this.toSkip, end - pos);
      this.toSkip -= n;
      this.sinceKey += n;
      pos += n;
    }
    while (pos < end) {
      // Cut lazily, only once a byte for the next part exists: the final part may then be exactly
      // partSize long, and a cut on a row end records that row as done rather than replayed.
      if (this.fill === this.partSize) this.cut();
      const n = Math.min(this.partSize - this.fill, end - pos);
      bytes.copy(this.buf, this.fill, pos, pos + n);
      this.fill += n;
      this.sinceKey += n;
      pos += n;
    }
  }

  rowEnd(fields: KeyFields): void {
    this.rows++;
    this.pendingKey = fields;
    this.sinceKey = 0;
  }

  /** Parts completed since the last call, in order. */
  take(): BuiltPart[] {
    return this.ready.splice(0, this.ready.length);
  }

  /** The last part (possibly the only one). Throws if the skip could not be satisfied. */
  finish(): BuiltPart {
    if (this.toSkip > 0) throw new Error(`stream ended ${this.toSkip} bytes before the resume point: the source changed`);
    if (this.fill === 0) throw new Error('no bytes left for a final part: the source changed since the checkpoint');
    return { partNumber: this.partNumber, body: this.buf.subarray(0, this.fill), next: null, rows: this.rows };
  }

  private cut(): void {
    // No row has ended since the last rowEnd, so the framer's lazy key still describes that row.
    if (this.pendingKey !== null) {
      this.lastKey = this.keyOf(resolveKey(this.pendingKey), this.rows);
      this.pendingKey = null;
    }
    const next: Cursor = { rows: this.rows, after: this.lastKey, skip: this.sinceKey };
    this.ready.push({ partNumber: this.partNumber, body: this.buf, next, rows: this.rows });
    this.partNumber++;
    this.buf = this.allocate();
    this.fill = 0;
  }
}

export const eventKey = (fields: readonly string[]): RowKey => {
  const [id, createdAt] = fields;
  if (id === undefined || createdAt === undefined) throw new Error('ua_events row without its key columns');
  return { id, createdAt };
};

export const ordinalKey = (_fields: readonly string[], rowsSoFar: number): RowKey => ({ ordinal: rowsSoFar });
