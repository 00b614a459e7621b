import { createHash } from 'node:crypto';
import { BufferPool, type PartBuffers } from './buffer-pool.js';
import type { RowBatch } from './copy-rows.js';
import { checksumFields, type PartChecksum, type PartChecksumFields } from '../s3/part-checksum.js';
import type { PartSink } from './formats/part-sink.js';
import { PartAssembler, type BuiltPart, type Cursor } from './part-assembler.js';
import { keyEndOf } from './row-keys.js';
import type { KeyOf } from './tables.js';

/** ChecksumSHA256 / ChecksumCRC32: the part's checksum, for an upload created with one: its completion lists it. */
export interface UploadedPart extends PartChecksumFields {
  PartNumber: number;
  ETag: string;
  size: number;
}

/** Progress that survives a crash: everything needed to carry on from the next part. */
export interface Checkpoint {
  parts: UploadedPart[];
  next: Cursor;
  bytes: number;
  /** sha256 of the whole file can only be computed in one pass; null once a resume broke the pass. */
  continuousHash: boolean;
}

export interface StreamPartsInput {
  /**
   * The table-day's CSV rows in cursor order, in batches (CopyRows): each row one record with its line
   * feed, led by `keyColumns` unquoted key fields that the file leaves out.
   */
  source: AsyncIterable<RowBatch>;
  keyColumns: number;
  keyOf: KeyOf;
  /** Header row, emitted when starting from the top of the file. */
  header: Buffer;
  partSize: number;
  resume: Checkpoint | null;
  /** Uploads one part; `digest` is the base64 hash of `body` named by `checksum`. */
  uploadPart: (partNumber: number, body: Buffer, digest: string) => Promise<string>;
  /** The upload's part checksum (default 'md5'): the hash each part's digest is. */
  checksum?: PartChecksum;
  onCheckpoint: (checkpoint: Checkpoint, part: BuiltPart) => void;
  /**
   * Parts uploading at once, and the part buffers this file takes: enough to overlap S3 with Postgres,
   * bounded for memory. The next part fills in one of them as soon as the oldest upload is done (the
   * assembler's spill holds what comes before).
   */
  maxInFlight?: number;
  /** Where part buffers come from and go back to once every upload has settled (default: this call's own). */
  buffers?: PartBuffers;
  /**
   * The file format's hook (src/export/formats/): wraps the assembler so the CSV bytes and row ends
   * go through the format's encoder (gzip members, Parquet row groups) before they are cut into
   * parts. Absent: the CSV bytes are the file.
   */
  encode?: (assembler: PartAssembler) => PartSink;
}

export interface StreamPartsResult {
  parts: UploadedPart[];
  rows: number;
  bytes: number;
  /** Hex sha256 of the whole file, or null when this attempt resumed mid-file. */
  sha256: string | null;
}

export async function streamParts(input: StreamPartsInput): Promise<StreamPartsResult> {
  const resume = input.resume;
  const start = resume?.next ?? { rows: 0, after: null, skip: 0 };
  const parts: UploadedPart[] = resume ? [...resume.parts] : [];
  let bytes = resume?.bytes ?? 0;
  const hash = resume ? null : createHash('sha256');
  const maxInFlight = input.maxInFlight ?? 2;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError('maxInFlight must be a positive integer');
  // Buffers of uploaded parts are reused, so memory holds at most maxInFlight parts (and the
  // assembler's spill) whatever the file's size, instead of waiting for the GC to notice each part's
  // external memory.
  const pool = input.buffers ?? new BufferPool(0);
  const taken: Buffer[] = [];
  const free: Buffer[] = [];
  const allocate = (): Buffer | null => {
    const reused = free.pop();
    if (reused) return reused;
    // maxInFlight buffers at most: while all of them upload, the assembler writes into its spill.
    if (taken.length >= maxInFlight) return null;
    const fresh = pool.take(input.partSize);
    taken.push(fresh);
    return fresh;
  };
  const checksum = input.checksum ?? 'md5';
  const cutter = new PartAssembler(input.partSize, start, parts.length + 1, input.keyOf, allocate, hash, checksum);
  const assembler: PartSink = input.encode ? input.encode(cutter) : cutter;
  const inFlight: { part: BuiltPart; done: Promise<string> }[] = [];
  let rows: number;

  // Parts complete in order so each checkpoint covers a contiguous prefix of the file.
  const settleOldest = async () => {
    const head = inFlight.shift();
    if (!head) return;
    const etag = await head.done;
    parts.push({
      PartNumber: head.part.partNumber,
      ETag: etag,
      size: head.part.body.length,
      ...checksumFields(checksum, head.part.digest),
    });
    bytes += head.part.body.length;
    if (head.part.body.length === input.partSize) {
      if (cutter.spilling) cutter.adopt(head.part.body);
      else free.push(head.part.body);
    }
    if (head.part.next) {
      input.onCheckpoint({ parts: [...parts], next: head.part.next, bytes, continuousHash: hash !== null }, head.part);
    }
  };
  const launch = async (part: BuiltPart) => {
    const done = input.uploadPart(part.partNumber, part.body, part.digest);
    // A rejection is observed when the part is settled; don't let it surface as unhandled before then.
    done.catch(() => undefined);
    inFlight.push({ part, done });
    while (inFlight.length >= maxInFlight) await settleOldest();
  };

  try {
    if (start.after === null) assembler.data(input.header);
    for await (const batch of input.source) {
      if (assembler === cutter) cutter.rowBatch(batch, input.keyColumns);
      else {
        const { bytes, starts, ends } = batch;
        for (let i = 0; i < ends.length; i++) {
          const rowStart = starts[i]!;
          const rowEnd = ends[i]!;
          const keyEnd = keyEndOf(bytes, rowStart, rowEnd, input.keyColumns);
          assembler.data(bytes, keyEnd + 1, rowEnd);
          assembler.rowEnd(bytes, rowStart, Math.max(rowStart, keyEnd));
        }
      }
      assembler.sync();
      if (assembler.flush) await assembler.flush(false);
      for (const part of assembler.take()) await launch(part);
    }
    if (assembler.flush) await assembler.flush(true);
    const final = assembler.finish();
    // A format's encoder writes its last bytes at finish (the last gzip member, the Parquet footer):
    // parts cut from them go before the final one.
    for (const part of assembler.take()) await launch(part);
    rows = final.rows;
    await launch(final);
    while (inFlight.length > 0) await settleOldest();
  } catch (err) {
    // Let uploads already on the wire finish or fail before the caller aborts the multipart upload.
    await Promise.allSettled(inFlight.map((f) => f.done));
    throw err;
  } finally {
    assembler.close?.();
    // Every upload has settled here (done, or awaited above): no request still reads these bytes.
    for (const b of taken) pool.give(b);
  }
  return { parts, rows, bytes, sha256: hash ? hash.digest('hex') : null };
}
