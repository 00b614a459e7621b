import { describe, expect, it } from 'vitest';
import { CopyOutFrames, type RowBatch } from '../../src/export/copy-out-frames.js';
import { commandComplete, copyData, copyDone, copyOutResponse, copyOutStream, cut, errorResponse, message, readyForQuery } from '../helpers/copy-protocol.js';

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
function feed(reads: readonly Buffer[]): Fed {
  const asides: Buffer[] = [];
  const frames = new CopyOutFrames((m) => asides.push(Buffer.from(m)));
  const rows: string[] = [];
  for (let i = 0; i < reads.length; i++) {
    const out: RowBatch[] = [];
    const rest = frames.push(reads[i]!, out);
    for (const { bytes, starts, ends } of out) {
      expect(starts).toHaveLength(ends.length);
      starts.forEach((s, k) => rows.push(bytes.toString('utf8', s, ends[k])));
    }
    if (rest !== null) return { rows, asides, rest: Buffer.concat([rest, ...reads.slice(i + 1)]), unread: reads.slice(i + 1) };
  }
  return { rows, asides, rest: null, unread: [] };
}

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

  it('keeps each read as the bytes of its rows: no copy unless a row spans reads', () => {
    const stream = copyOutStream(ROWS);
    const frames = new CopyOutFrames(() => undefined);
    const out: RowBatch[] = [];
    expect(frames.push(stream, out)).toEqual(TAIL);
    expect(out).toHaveLength(1);
    expect(out[0]!.bytes).toBe(stream);
    expect(out[0]!.ends).toHaveLength(ROWS.length);
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
