import { describe, expect, it } from 'vitest';
import { CopyOutFrames, type RowBatch } from '../../src/export/copy-out-frames.js';
import {
  batchRows,
  commandComplete,
  copyData,
  copyDone,
  copyOutResponse,
  copyOutStream,
  cut,
  errorResponse,
  message,
  readyForQuery,
} from '../helpers/copy-protocol.js';

/** CopyOutFrames on wire-protocol bytes cut into reads at every kind of boundary. */

const ROWS = [
  '1,2026-11-28 00:00:00+00,plain\n',
  '2,2026-11-28 00:00:01+00,"multi\nline, ""quoted""\r\n"\n',
  '3,2026-11-28 00:00:02+00,\n',
  `4,2026-11-28 00:00:03+00,${'x'.repeat(300)}\n`,
  '5,2026-11-28 00:00:04+00,"🚀,é"\n',
];

interface Fed {
  rows: string[];
  asides: Buffer[];
  rest: Buffer | null;
  /** Reads after the one that returned the rest, which the reader must not be given. */
  unread: Buffer[];
}

/** Pushes `reads` in order until the reader hands the rest back; decodes the batches as they come. */
function feed(reads: readonly Buffer[], bufferBytes = 64, flushEach = true): Fed {
  const asides: Buffer[] = [];
  // Small buffers, so that reads also rotate them (and messages move to the next one) mid-row.
  const frames = new CopyOutFrames((m) => asides.push(m), bufferBytes);
  const rows: string[] = [];
  for (let i = 0; i < reads.length; i++) {
    const out: RowBatch[] = [];
    const rest = frames.push(reads[i]!, out);
    if (flushEach) frames.flush(out);
    for (const batch of out) {
      expect(batch.starts).toHaveLength(batch.ends.length);
      rows.push(...batchRows(batch));
      // What the consumer saw is all it may rely on: a released buffer is overwritten by later reads.
      frames.release(batch);
    }
    if (rest !== null) return { rows, asides, rest: Buffer.concat([rest, ...reads.slice(i + 1)]), unread: reads.slice(i + 1) };
  }
  return { rows, asides, rest: null, unread: [] };
}

/** The memory a batch's row offsets are kept in (CopyOutFrames' are typed arrays, reused). */
const offsetsOf = (batch: RowBatch): ArrayBufferLike => (batch.starts as Uint32Array).buffer;

const TAIL = Buffer.concat([copyDone(), commandComplete(`COPY ${ROWS.length}`), readyForQuery()]);

describe('CopyOutFrames', () => {
  it('finds every row and hands back the bytes from CopyDone on, wherever one cut splits the stream', () => {
    const stream = copyOutStream(ROWS);
    for (let at = 0; at <= stream.length; at++) {
      const got = feed([stream.subarray(0, at), stream.subarray(at)]);
      expect(got.rows, `cut at ${at}`).toEqual(ROWS);
      expect(got.rest, `cut at ${at}`).toEqual(TAIL);
    }
  });

  it('reads one byte at a time: headers and rows split across reads', () => {
    const got = feed(cut(copyOutStream(ROWS), [1]));
    expect(got.rows).toEqual(ROWS);
    expect(got.rest).toEqual(TAIL);
  });

  it('reads in irregular sizes, a row bigger than a read included', () => {
    const rows = [...ROWS, `6,2026-11-28 00:00:05+00,${'y'.repeat(5000)}\n`, ...ROWS];
    const tail = Buffer.concat([copyDone(), commandComplete(`COPY ${rows.length}`), readyForQuery()]);
    for (const sizes of [[2, 3, 7], [4, 5, 6], [64], [1000, 1]]) {
      const got = feed(cut(copyOutStream(rows), sizes));
      expect(got.rows, `reads of ${sizes.join(',')}`).toEqual(rows);
      expect(got.rest).toEqual(tail);
    }
  });

  it('stops at an ErrorResponse mid-COPY: the rows before it, then the error and what follows for pg', () => {
    const error = errorResponse('division by zero');
    const stream = Buffer.concat([copyOutResponse(), ...ROWS.slice(0, 3).map(copyData), error, readyForQuery()]);
    for (let at = 0; at <= stream.length; at++) {
      const got = feed([stream.subarray(0, at), stream.subarray(at)]);
      expect(got.rows).toEqual(ROWS.slice(0, 3));
      expect(got.rest, `cut at ${at}`).toEqual(Buffer.concat([error, readyForQuery()]));
    }
  });

  it('an error before any data goes to pg whole', () => {
    const error = errorResponse('relation "nope" does not exist');
    const got = feed([Buffer.concat([error, readyForQuery()])]);
    expect(got.rows).toEqual([]);
    expect(got.rest).toEqual(Buffer.concat([error, readyForQuery()]));
  });

  it('passes a notice mid-COPY to pg whole and goes on with the rows', () => {
    const notice = errorResponse('at 1000', 'N');
    const status = message('S', 'TimeZone\0UTC\0');
    const stream = Buffer.concat([copyOutResponse(), copyData(ROWS[0]!), notice, copyData(ROWS[1]!), status, copyData(ROWS[2]!), TAIL]);
    for (const sizes of [[1], [3, 11], [stream.length]]) {
      const got = feed(cut(stream, sizes));
      expect(got.rows).toEqual(ROWS.slice(0, 3));
      expect(got.asides).toEqual([notice, status]);
      expect(got.rest).toEqual(TAIL);
    }
  });

  it("keeps rows in the reader's buffer until flushed or the buffer fills, and reuses a buffer once released", () => {
    const frames = new CopyOutFrames(() => undefined, 256);
    const out: RowBatch[] = [];
    // A read whose rows fit in the buffer: nothing is handed out until asked for.
    expect(frames.push(Buffer.concat([copyOutResponse(), copyData(ROWS[0]!), copyData(ROWS[2]!)]), out)).toBeNull();
    expect(out).toHaveLength(0);
    frames.flush(out);
    expect(out).toHaveLength(1);
    const first = out[0]!;
    expect(batchRows(first)).toEqual([ROWS[0], ROWS[2]]);
    // A read while the consumer holds the batch: the 300-byte row does not fit in what is left of the
    // buffer, so it moves to a buffer of its own size, and the held rows stay as they were.
    const before = first.bytes.toString('latin1', first.starts[0], first.ends[1]);
    expect(frames.push(copyData(ROWS[3]!), out)).toBeNull();
    expect(out).toHaveLength(1);
    expect(first.bytes.toString('latin1', first.starts[0], first.ends[1])).toBe(before);
    frames.flush(out);
    expect(out).toHaveLength(2);
    const second = out[1]!;
    expect(second.bytes).not.toBe(first.bytes);
    expect(second.bytes.length).toBeGreaterThan(256);
    expect(batchRows(second)).toEqual([ROWS[3]]);
    // Nothing more to flush.
    frames.flush(out);
    expect(out).toHaveLength(2);
    for (const b of out) frames.release(b);
  });

  it('reads a long stream through a few recycled buffers when the consumer keeps up', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `${i},2026-11-28 00:00:00+00,${'v'.repeat(i % 97)}\n`);
    const reads = cut(copyOutStream(rows), [1000, 333, 4096]);
    const frames = new CopyOutFrames(() => undefined, 4096);
    const seen = new Set<Buffer>();
    const got: string[] = [];
    for (const read of reads) {
      const out: RowBatch[] = [];
      const rest = frames.push(read, out);
      frames.flush(out);
      for (const b of out) {
        seen.add(b.bytes);
        got.push(...batchRows(b));
        frames.release(b);
      }
      if (rest !== null) break;
    }
    expect(got).toEqual(rows);
    // Released buffers are taken again: a handful, not one per buffer's worth of the ~130 KB stream.
    expect(seen.size).toBeLessThanOrEqual(3);
  });

  it("reuses a released batch's row offsets, grown past their first size, and never a held batch's", () => {
    // Rows of 6 bytes on the wire (5 of header, a line feed), so one buffer holds thousands of them:
    // more than a new offsets pair has room for.
    const tiny = Array.from({ length: 3000 }, () => '\n');
    const frames = new CopyOutFrames(() => undefined, 64 * 1024);
    const out: RowBatch[] = [];
    expect(frames.push(Buffer.concat([copyOutResponse(), ...tiny.map((r) => copyData(r))]), out)).toBeNull();
    frames.flush(out);
    expect(out).toHaveLength(1);
    const big = out[0]!;
    expect(big.ends.length).toBe(3000);
    expect(batchRows(big)).toEqual(tiny);
    const held = [...batchRows(big)];
    // While `big` is held, the next batch gets offsets of its own.
    frames.push(Buffer.concat([copyData(ROWS[0]!), copyData(ROWS[1]!)]), out);
    frames.flush(out);
    const second = out[1]!;
    expect(offsetsOf(second)).not.toBe(offsetsOf(big));
    expect(batchRows(big)).toEqual(held);
    expect(batchRows(second)).toEqual([ROWS[0], ROWS[1]]);
    // Released, `big`'s offsets (grown to hold 3000 rows) are taken again: by the batch after the
    // one being parsed, whose offsets were set up when `second` was flushed.
    const grown = offsetsOf(big);
    frames.release(big);
    // A second release gives nothing back twice: two batches never share offsets.
    frames.release(big);
    for (const row of [ROWS[2]!, ROWS[3]!, ROWS[4]!]) {
      frames.push(copyData(row), out);
      frames.flush(out);
    }
    expect(offsetsOf(out[2]!)).not.toBe(grown);
    expect(offsetsOf(out[3]!)).toBe(grown);
    expect(offsetsOf(out[4]!)).not.toBe(grown);
    expect(batchRows(out[3]!)).toEqual([ROWS[3]]);
    expect(batchRows(out[2]!)).toEqual([ROWS[2]]);
    expect(batchRows(second)).toEqual([ROWS[0], ROWS[1]]);
  });

  it('the same rows whether batches are flushed per read or only as buffers fill', () => {
    const stream = copyOutStream(ROWS);
    for (const size of [6, 17, 64, 4096]) {
      expect(feed(cut(stream, [7, 13]), size, false).rows, `buffer of ${size}`).toEqual(ROWS);
    }
  });

  it('refuses a malformed length and any bytes after the hand-back', () => {
    const bad = Buffer.from([0x64, 0, 0, 0, 2]);
    expect(() => new CopyOutFrames(() => undefined).push(Buffer.concat([copyOutResponse(), bad]), [])).toThrow(
      /malformed message from Postgres during COPY: length 2/,
    );
    const frames = new CopyOutFrames(() => undefined);
    expect(frames.push(TAIL, [])).toEqual(TAIL);
    expect(() => frames.push(readyForQuery(), [])).toThrow(/after handing the connection back/);
  });
});
