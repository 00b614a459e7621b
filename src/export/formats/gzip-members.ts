import { gzipSync, constants } from 'node:zlib';
import type { BuiltPart, PartAssembler } from '../part-assembler.js';
import type { PartSink } from './part-sink.js';

/**
 * csv_gzip: the CSV stream as a series of independent gzip members (RFC 1952 2.2: a gzip file is a
 * series of members, and gzip, zlib's gzip mode, Python's gzip, DuckDB, Polars and pandas read them
 * as one stream).
 *
 * Why members: a deflate stream has no point it can restart from without its 32 KiB window and
 * internal state, so one stream could only resume by recompressing the whole day. A member starts
 * cold, so it depends on its own rows only. A member ends after the row that brings it to
 * MEMBER_BYTES of CSV, and only then is the row count and key of its last row handed to the part
 * assembler: every checkpoint's cursor is therefore a member boundary plus a byte offset into the
 * compressed stream. A retry reads the rows after that boundary, compresses the same members again
 * (same rows, same level, same zlib: the same bytes) and skips to the part boundary, as for CSV.
 */
export const MEMBER_BYTES = 1024 * 1024;

/**
 * zlib's default level. Level and member size are part of the file's bytes; ENCODING names them so
 * a checkpoint made under other settings (or another zlib) is not resumed into this file.
 */
export const GZIP_LEVEL = constants.Z_DEFAULT_COMPRESSION;

export const GZIP_ENCODING = `gzip-members/level=${GZIP_LEVEL}/member=${MEMBER_BYTES}/zlib=${process.versions.zlib ?? 'unknown'}`;

const MAX_KEY_BYTES = 256;

export class GzipMembers implements PartSink {
  private member: Buffer;
  private fill = 0;
  private rows = 0;
  private readonly key = Buffer.allocUnsafe(MAX_KEY_BYTES);
  private keyLen = 0;
  /** CSV bytes compressed so far by this encoder (the file's since its start, when it started there). */
  uncompressedBytes = 0;

  constructor(
    private readonly out: PartAssembler,
    private readonly memberBytes = MEMBER_BYTES,
  ) {
    if (!Number.isInteger(memberBytes) || memberBytes <= 0) throw new RangeError('memberBytes must be a positive integer');
    this.member = Buffer.allocUnsafe(memberBytes);
  }

  data(bytes: Buffer, start = 0, end = bytes.length): void {
    const n = end - start;
    if (this.fill + n > this.member.length) {
      // A row longer than the member buffer (a large JSON value): grow for it; the next member starts small again.
      const bigger = Buffer.allocUnsafe(Math.max(this.member.length * 2, this.fill + n));
      this.member.copy(bigger, 0, 0, this.fill);
      this.member = bigger;
    }
    bytes.copy(this.member, this.fill, start, end);
    this.fill += n;
  }

  rowEnd(source: Buffer, keyStart: number, keyEnd: number): void {
    const n = keyEnd - keyStart;
    if (n > MAX_KEY_BYTES) throw new Error('row key columns longer than expected');
    source.copy(this.key, 0, keyStart, keyEnd);
    this.keyLen = n;
    this.rows++;
    if (this.fill >= this.memberBytes) this.closeMember();
  }

  sync(): void {
    this.out.sync();
  }

  take(): BuiltPart[] {
    return this.out.take();
  }

  finish(): BuiltPart {
    // The last member may hold only the header (an empty day) or nothing after a boundary at the
    // end; an empty member would still add 20 bytes, so only a non-empty one is written.
    if (this.fill > 0) this.closeMember();
    return this.out.finish();
  }

  private closeMember(): void {
    const compressed = gzipSync(this.member.subarray(0, this.fill), { level: GZIP_LEVEL });
    this.uncompressedBytes += this.fill;
    this.out.data(compressed);
    if (this.rows > 0) this.out.rowEnd(this.key, 0, this.keyLen, this.rows);
    this.rows = 0;
    this.fill = 0;
    if (this.member.length > this.memberBytes) this.member = Buffer.allocUnsafe(this.memberBytes);
  }
}
