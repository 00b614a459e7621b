import { createHash, type Hash } from 'node:crypto';
import type { PartChecksum } from '../s3/part-checksum.js';
import type { KeyOf, RowKey } from './tables.js';

/** The tables' key functions: the spec (tableSpec(t).keyOf) says which one a table uses. */
export { eventKey, ordinalKey } from './tables.js';

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
  /** Base64 hash of `body` by the file's PartChecksum: its Content-MD5, or its x-amz-checksum-sha256. */
  digest: string;
}

const MAX_KEY_BYTES = 256;

/**
 * Splits the file's bytes into parts of exactly `partSize` bytes, except the last, and hashes them as
 * they fill: each part's checksum (MD5 or SHA-256), and optionally every byte into a whole-file hash.
 */
export class PartAssembler {
  private buf: Buffer;
  private fill = 0;
  /** Bytes of `buf` already fed to the hashes. */
  private hashed = 0;
  private partHash: Hash;
  private toSkip: number;
  private rows: number;
  private lastKey: RowKey | null;
  /**
   * Key bytes (`f1,f2`) of the last row that ended, decoded into `lastKey` only when a part is cut: two
   * strings per row saved on the hot path. -1: no row ended since the last cut.
   */
  private readonly pendingKey = Buffer.allocUnsafe(MAX_KEY_BYTES);
  private pendingKeyLen = -1;
  /** Stream bytes (skipped ones included) since the end of the row `lastKey`. */
  private sinceKey = 0;
  private partNumber: number;
  private readonly ready: BuiltPart[] = [];

  constructor(
    private readonly partSize: number,
    start: Cursor,
    firstPartNumber: number,
    private readonly keyOf: KeyOf,
    /** Where part buffers come from: lets the caller recycle buffers of uploaded parts. */
    private readonly allocate: () => Buffer = () => Buffer.allocUnsafe(partSize),
    /** Fed every byte of the parts built here, in order (the manifest's sha256); null: none kept. */
    private readonly fileHash: Hash | null = null,
    /** The hash behind each part's `digest`. */
    private readonly checksum: PartChecksum = 'md5',
  ) {
    if (!Number.isInteger(partSize) || partSize <= 0) throw new RangeError('partSize must be a positive integer');
    this.partHash = createHash(checksum);
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

  /**
   * A row has been written in full; its key fields are `source[keyStart, keyEnd)` (empty without key
   * columns). The bytes are copied: the source buffer may be reused after this call. `rows` > 1: a
   * format that can only resume at its own block boundaries (formats/gzip-members.ts) reports a
   * block's rows at once, with the key of its last row.
   */
  rowEnd(source: Buffer, keyStart: number, keyEnd: number, rows = 1): void {
    const n = keyEnd - keyStart;
    if (n > MAX_KEY_BYTES) throw new Error('row key columns longer than expected');
    if (n > 0) source.copy(this.pendingKey, 0, keyStart, keyEnd);
    this.pendingKeyLen = n;
    this.rows += rows;
    this.sinceKey = 0;
  }

  /**
   * Hashes the bytes written since the last call. Call it between batches of rows: hashing then keeps
   * pace with the stream, instead of one pass over each whole part that stalls reading (and Postgres)
   * while it runs, and without a hash call per row.
   */
  sync(): void {
    if (this.fill === this.hashed) return;
    const fresh = this.buf.subarray(this.hashed, this.fill);
    this.partHash.update(fresh);
    this.fileHash?.update(fresh);
    this.hashed = this.fill;
  }

  /** Parts completed since the last call, in order. */
  take(): BuiltPart[] {
    return this.ready.splice(0, this.ready.length);
  }

  /** The last part (possibly the only one). Throws if the skip could not be satisfied. */
  finish(): BuiltPart {
    if (this.toSkip > 0) throw new Error(`stream ended ${this.toSkip} bytes before the resume point: the source changed`);
    if (this.fill === 0) throw new Error('no bytes left for a final part: the source changed since the checkpoint');
    this.sync();
    return { partNumber: this.partNumber, body: this.buf.subarray(0, this.fill), next: null, rows: this.rows, digest: this.partHash.digest('base64') };
  }

  private cut(): void {
    if (this.pendingKeyLen >= 0) {
      const fields = this.pendingKeyLen === 0 ? [] : this.pendingKey.toString('latin1', 0, this.pendingKeyLen).split(',');
      this.lastKey = this.keyOf(fields, this.rows);
      this.pendingKeyLen = -1;
    }
    const next: Cursor = { rows: this.rows, after: this.lastKey, skip: this.sinceKey };
    this.sync();
    this.ready.push({ partNumber: this.partNumber, body: this.buf, next, rows: this.rows, digest: this.partHash.digest('base64') });
    this.partNumber++;
    this.buf = this.allocate();
    this.fill = 0;
    this.hashed = 0;
    this.partHash = createHash(this.checksum);
  }
}
