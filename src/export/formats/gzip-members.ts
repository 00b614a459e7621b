import { constants, createGzip, type Gzip, type ZlibReset } from 'node:zlib';
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
 * Level 1, chosen by measurement (docs/BENCHMARKS.md, "Formats"): on this data it costs a fraction of
 * the default level's CPU for files only a few per cent larger, and compression is what bounds the
 * format's throughput. Level and member size are part of the file's bytes; GZIP_ENCODING names them
 * so a checkpoint made under other settings (or another zlib) is not resumed into this file.
 */
export const GZIP_LEVEL = 1;

/**
 * Members compressing in libuv's thread pool while the main thread reads the next rows. Two keep
 * both cores of a small box busy next to Postgres without queueing the pool's other users (DNS,
 * fs) behind a long backlog; each holds one member buffer.
 */
export const MEMBERS_IN_FLIGHT = 2;

export const GZIP_ENCODING = `gzip-members/level=${GZIP_LEVEL}/member=${MEMBER_BYTES}/zlib=${process.versions.zlib ?? 'unknown'}`;

const MAX_KEY_BYTES = 256;

/**
 * Room past MEMBER_BYTES in every member buffer. A member ends after the row that reaches
 * MEMBER_BYTES, so that row nearly always runs past it; without room for it, almost every member
 * grew into a fresh buffer of twice the size and left the pool. That was a few MiB of new
 * ArrayBuffers per member, which V8 counts towards the old generation's limit, and it kept the
 * worker's heap in back-to-back full collections (docs/BENCHMARKS.md, "csv_gzip: the member that
 * outgrew its buffer"). Rows longer than this still grow a buffer of their own, which is not pooled.
 */
export const MEMBER_HEADROOM_BYTES = 64 * 1024;

/**
 * zlib's output buffer per compressor: members' compressed bytes are views into it, one after the
 * other, and a new one is allocated only when it is full, so a member costs no buffer of its own.
 * Larger than a level-1 member of MEMBER_BYTES usually is, so most members come out as one view.
 */
const OUTPUT_CHUNK_BYTES = 1024 * 1024;

/**
 * One zlib gzip context that compresses member after member in libuv's thread pool. Why one per slot
 * rather than one per member: each context is a few hundred KiB that Node reports to V8 as external
 * memory, and a fresh one per member made V8 run full collections of the worker's heap over and over
 * (docs/BENCHMARKS.md, "Formats"). Every write is a whole member with Z_FINISH, exactly as gzipSync
 * compresses one buffer, and the reset after it (deflateReset) starts the next member from zlib's
 * initial state with a new gzip header: the same bytes as a fresh context, which the unit tests check
 * against gzipSync member by member.
 */
export class MemberCompressor {
  // Node's Gzip has reset() (deflateReset) like Deflate; its type declarations leave it out.
  private readonly zlib: Gzip & ZlibReset;
  private out: Buffer[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;

  constructor() {
    this.zlib = createGzip({ level: GZIP_LEVEL, flush: constants.Z_FINISH, chunkSize: OUTPUT_CHUNK_BYTES }) as Gzip & ZlibReset;
    // Flowing mode: zlib's output is emitted as it is produced, before the write's callback.
    this.zlib.on('data', (chunk: Buffer) => this.out.push(chunk));
    this.zlib.on('error', (err: Error) => (this.failure ??= err));
  }

  /** The gzip member of `input`, as views in order; calls are compressed one after the other. */
  compress(input: Buffer): Promise<Buffer[]> {
    const next = this.tail.then(() => this.one(input));
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Frees the zlib context; a member still compressing fails. */
  close(): void {
    this.zlib.destroy();
  }

  private one(input: Buffer): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.zlib.write(input, (err) => {
        const failed = err ?? this.failure;
        if (failed) return reject(failed);
        // Output left unread here would belong to this member but arrive with the next one.
        if (this.zlib.readableLength !== 0) return reject(new Error('gzip member output was not all delivered before its write completed'));
        const out = this.out;
        this.out = [];
        this.zlib.reset();
        resolve(out);
      });
    });
  }
}

/** A member handed to the thread pool, with what the assembler learns once its bytes are written. */
interface Member {
  input: Buffer<ArrayBufferLike>;
  fill: number;
  rows: number;
  key: Buffer<ArrayBufferLike>;
  keyLen: number;
  compressed: Buffer[] | null;
  failed: Error | null;
  done: Promise<void>;
}

export class GzipMembers implements PartSink {
  private member: Buffer<ArrayBufferLike>;
  private fill = 0;
  private rows = 0;
  private key: Buffer<ArrayBufferLike> = Buffer.allocUnsafe(MAX_KEY_BYTES);
  private keyLen = 0;
  /** Members in compression order; written to the assembler strictly in this order. */
  private readonly pending: Member[] = [];
  /** Member and key buffers whose compression has finished, for the next members. */
  private readonly freeMembers: Buffer<ArrayBufferLike>[] = [];
  private readonly freeKeys: Buffer<ArrayBufferLike>[] = [];
  /** One compressor per slot in flight; member n goes to slot n mod inFlight. */
  private readonly compressors: MemberCompressor[];
  private members = 0;
  /** CSV bytes compressed so far by this encoder (the file's since its start, when it started there). */
  uncompressedBytes = 0;

  constructor(
    private readonly out: PartAssembler,
    private readonly memberBytes = MEMBER_BYTES,
    private readonly inFlight = MEMBERS_IN_FLIGHT,
  ) {
    if (!Number.isInteger(memberBytes) || memberBytes <= 0) throw new RangeError('memberBytes must be a positive integer');
    if (!Number.isInteger(inFlight) || inFlight < 1) throw new RangeError('inFlight must be a positive integer');
    this.member = this.newMemberBuffer();
    this.compressors = Array.from({ length: inFlight }, () => new MemberCompressor());
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

  /**
   * Writes finished members to the assembler in order, waiting while more than `inFlight` compress
   * (that bound is what keeps memory flat). `final`: the source has ended; the last member is
   * compressed and every member written, so finish() can follow.
   */
  async flush(final: boolean): Promise<void> {
    // The last member may hold only the header (an empty day) or nothing after a boundary at the
    // end; an empty member would still add 20 bytes, so only a non-empty one is written.
    if (final && this.fill > 0) this.closeMember();
    for (;;) {
      const head = this.pending[0];
      if (!head) return;
      const ready = head.compressed !== null || head.failed !== null;
      if (!ready && !final && this.pending.length <= this.inFlight) return;
      await head.done;
      this.pending.shift();
      if (head.failed) throw head.failed;
      for (const chunk of head.compressed!) this.out.data(chunk);
      if (head.rows > 0) this.out.rowEnd(head.key, 0, head.keyLen, head.rows);
      this.uncompressedBytes += head.fill;
      if (head.input.length === this.memberBytes + MEMBER_HEADROOM_BYTES) this.freeMembers.push(head.input);
      this.freeKeys.push(head.key);
    }
  }

  take(): BuiltPart[] {
    return this.out.take();
  }

  finish(): BuiltPart {
    if (this.fill > 0 || this.pending.length > 0) throw new Error('GzipMembers.finish before flush(true)');
    this.close();
    return this.out.finish();
  }

  close(): void {
    for (const c of this.compressors) c.close();
  }

  private newMemberBuffer(): Buffer {
    return Buffer.allocUnsafe(this.memberBytes + MEMBER_HEADROOM_BYTES);
  }

  private closeMember(): void {
    const m: Member = {
      input: this.member,
      fill: this.fill,
      rows: this.rows,
      key: this.key,
      keyLen: this.keyLen,
      compressed: null,
      failed: null,
      done: Promise.resolve(),
    };
    // Compression runs in libuv's thread pool: the main thread goes on reading rows meanwhile.
    const compressor = this.compressors[this.members++ % this.inFlight]!;
    m.done = compressor.compress(m.input.subarray(0, m.fill)).then(
      (out) => void (m.compressed = out),
      (err: unknown) => void (m.failed = err instanceof Error ? err : new Error(String(err))),
    );
    this.pending.push(m);
    this.member = this.freeMembers.pop() ?? this.newMemberBuffer();
    this.key = this.freeKeys.pop() ?? Buffer.allocUnsafe(MAX_KEY_BYTES);
    this.keyLen = 0;
    this.rows = 0;
    this.fill = 0;
  }
}
