import type { Hash } from 'node:crypto';
import { partHasher, type PartChecksum, type PartHasher } from '../s3/part-checksum.js';
import type { RowBatch } from './copy-out-frames.js';
import { keyEndOf } from './row-keys.js';
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
  /** Base64 hash of `body` by the file's PartChecksum: its Content-MD5, or its x-amz-checksum-sha256 / -crc32. */
  digest: string;
}

const MAX_KEY_BYTES = 256;
/** The spill's first size: what is left of a COPY batch after a cut fits (CopyRows' batches are 256 KiB). */
const SPILL_START_BYTES = 512 * 1024;

/**
 * Splits the file's bytes into parts of exactly `partSize` bytes, except the last, and hashes them as
 * they fill: each part's checksum (MD5, SHA-256 or CRC32), and optionally every byte into a whole-file hash.
 *
 * When a part is cut and the caller has no part buffer free (`allocate` returns null: every one is
 * uploading), the next part starts in a spill buffer of this assembler's, small and grown only as
 * needed, until the caller hands it a part buffer that has come back (adopt). Bytes written between a
 * cut and the oldest upload's end (the rest of a COPY batch) then cost no part buffer of their own: a
 * file uploading N parts at once holds N part buffers, not N + 1 (docs/BENCHMARKS.md, "One part
 * buffer fewer per file").
 */
export class PartAssembler {
  /** The part being written: a part buffer, or `spill`. */
  private buf: Buffer;
  private spill: Buffer | null = null;
  private finished = false;
  private fill = 0;
  /** Bytes of `buf` already fed to the hashes. */
  private hashed = 0;
  private partHash: PartHasher;
  private toSkip: number;
  private rows: number;
  private lastKey: RowKey | null;
  /** This assembler's copy of the last ended row's key bytes, once they may change where they were. */
  private readonly ownKey = Buffer.allocUnsafe(MAX_KEY_BYTES);
  /**
   * Key bytes (`f1,f2`) of the last row that ended, `keySource[keyStart, keyEnd)` (`ownKey`, or the
   * batch rowBatch() is writing), decoded into `lastKey` only when a part is cut: two strings per row
   * saved on the hot path. null: no row ended since the last cut.
   */
  private keySource: Buffer | null = null;
  private keyStart = 0;
  private keyEnd = 0;
  /** Stream bytes (skipped ones included) since the end of the row `lastKey`. */
  private sinceKey = 0;
  private partNumber: number;
  private readonly ready: BuiltPart[] = [];

  constructor(
    private readonly partSize: number,
    start: Cursor,
    firstPartNumber: number,
    private readonly keyOf: KeyOf,
    /**
     * Where part buffers come from: lets the caller recycle buffers of uploaded parts. null: none free
     * now (the next part starts in the spill; see adopt).
     */
    private readonly allocate: () => Buffer | null = () => Buffer.allocUnsafe(partSize),
    /** Fed every byte of the parts built here, in order (the manifest's sha256); null: none kept. */
    private readonly fileHash: Hash | null = null,
    /** The hash behind each part's `digest`. */
    private readonly checksum: PartChecksum = 'md5',
  ) {
    if (!Number.isInteger(partSize) || partSize <= 0) throw new RangeError('partSize must be a positive integer');
    this.partHash = partHasher(checksum);
    this.buf = this.allocate() ?? this.spillBuffer();
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
      else if (this.fill === this.buf.length) this.growSpill();
      const n = Math.min(this.buf.length - this.fill, end - pos);
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
    this.keepKey(source, keyStart, keyEnd);
    this.rows += rows;
    this.sinceKey = 0;
  }

  /**
   * A batch of COPY rows, each written without its leading `keyColumns` key fields: data() and rowEnd()
   * per row, for a file that is the CSV itself (no format's encoder between). The batch's bytes stay
   * put during this call, so a cut mid-batch reads the last ended row's key where it is, and only the
   * batch's last key is copied, once: a copy per row was a call into C++ per row (docs/BENCHMARKS.md,
   * "One part buffer fewer per file, and the per-row loop").
   */
  rowBatch(batch: RowBatch, keyColumns: number): void {
    const { bytes, starts, ends } = batch;
    for (let i = 0; i < ends.length; i++) {
      const rowStart = starts[i]!;
      const rowEnd = ends[i]!;
      const keyEnd = keyEndOf(bytes, rowStart, rowEnd, keyColumns);
      this.data(bytes, keyEnd + 1, rowEnd);
      const keyStop = Math.max(rowStart, keyEnd);
      if (keyStop - rowStart > MAX_KEY_BYTES) throw new Error('row key columns longer than expected');
      this.keySource = bytes;
      this.keyStart = rowStart;
      this.keyEnd = keyStop;
      this.rows++;
      this.sinceKey = 0;
    }
    // The source reuses the batch's buffer once the next one is asked for.
    if (this.keySource === bytes) this.keepKey(bytes, this.keyStart, this.keyEnd);
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

  /** The part being written is in the spill: adopt() a part buffer as soon as one is free. */
  get spilling(): boolean {
    return !this.finished && this.buf === this.spill;
  }

  /** Moves the part being written out of the spill into `buffer`, a part buffer of partSize bytes. */
  adopt(buffer: Buffer): void {
    if (!this.spilling) throw new Error('adopt: the part being written is not in the spill');
    if (buffer.length !== this.partSize) throw new RangeError(`adopt: part buffers are ${this.partSize} bytes, got ${buffer.length}`);
    this.buf.copy(buffer, 0, 0, this.fill);
    this.buf = buffer;
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
    this.finished = true;
    return { partNumber: this.partNumber, body: this.buf.subarray(0, this.fill), next: null, rows: this.rows, digest: this.partHash.digest() };
  }

  private cut(): void {
    if (this.keySource !== null) {
      const fields = this.keyEnd === this.keyStart ? [] : this.keySource.toString('latin1', this.keyStart, this.keyEnd).split(',');
      this.lastKey = this.keyOf(fields, this.rows);
      this.keySource = null;
    }
    const next: Cursor = { rows: this.rows, after: this.lastKey, skip: this.sinceKey };
    this.sync();
    this.ready.push({ partNumber: this.partNumber, body: this.buf, next, rows: this.rows, digest: this.partHash.digest() });
    this.partNumber++;
    // A spill that filled a whole part is that part's body now, on its way to S3.
    if (this.buf === this.spill) this.spill = null;
    this.buf = this.allocate() ?? this.spillBuffer();
    this.fill = 0;
    this.hashed = 0;
    this.partHash = partHasher(this.checksum);
  }

  /** The last ended row's key is `source[start, end)`: copied into ownKey, where no source can change it. */
  private keepKey(source: Buffer, start: number, end: number): void {
    if (end > start) source.copy(this.ownKey, 0, start, end);
    this.keySource = this.ownKey;
    this.keyStart = 0;
    this.keyEnd = end - start;
  }

  private spillBuffer(): Buffer {
    return (this.spill ??= Buffer.allocUnsafe(Math.min(this.partSize, SPILL_START_BYTES)));
  }

  /** The spill is full and no part buffer came back yet (a format's encoder writing a large block): double it, up to a part. */
  private growSpill(): void {
    const bigger = Buffer.allocUnsafe(Math.min(this.partSize, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.fill);
    this.buf = this.spill = bigger;
  }
}
