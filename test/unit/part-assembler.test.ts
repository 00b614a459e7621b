import { createHash, type Hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PartAssembler, START_CURSOR, eventKey, ordinalKey, type BuiltPart, type Cursor } from '../../src/export/part-assembler.js';
import type { RowKey } from '../../src/export/query.js';
import { partDigest, type PartChecksum } from '../../src/s3/part-checksum.js';

/* A tiny fake "database": rows in (created_at, id) order, replayable from any cursor. */

interface SrcRow {
  /** The row's key fields (ua_events: [id, created_at]). */
  fields: string[];
  /** The row as COPY sends it: key fields, then the file's bytes. */
  copyRow: Buffer;
  /** Where the key fields end in copyRow (what streamParts hands to rowEnd). */
  keyEnd: number;
  data: Buffer;
}

type KeyOf = (fields: readonly string[], rowsSoFar: number) => RowKey;

const HEADER = Buffer.from('profile_id,event_type,note\n');

function makeRows(): SrcRow[] {
  // Same created_at for ids 9 and 10: numeric, not string, order (string order would put "10" first).
  const spec: [string, string, string][] = [
    ['2026-11-28 00:00:00+00', '5', 'a,install,\n'],
    ['2026-11-28 00:00:00.25+00', '9', 'b,install,"x"\n'],
    ['2026-11-28 00:00:00.25+00', '10', 'c,trial_started,"multi\nline, with comma"\n'],
    ['2026-11-28 00:00:01+00', '2', 'd,install,🚀🚀\n'],
    ['2026-11-28 00:00:02+00', '11', `e,subscription_renewed,"${'long '.repeat(9)}"\n`], // spans several small parts
    ['2026-11-28 00:00:02+00', '12', ',,\n'],
    ['2026-11-28 00:00:03+00', '1', 'f,x,yz\n'],
    ['2026-11-28 23:59:59.999999+00', '100', 'g,install,"Кириллица"\n'],
  ];
  return spec.map(([createdAt, id, data]) => {
    const key = `${id},${createdAt}`;
    return { fields: [id, createdAt], copyRow: Buffer.from(`${key},${data}`), keyEnd: Buffer.byteLength(key), data: Buffer.from(data) };
  });
}

const ROWS = makeRows();
const ALL_BYTES = Buffer.concat([HEADER, ...ROWS.map((r) => r.data)]);

function compareEventKey(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  const d = BigInt(a.id) - BigInt(b.id);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** What the database returns for "rows after `after`" (SQL keyset or OFFSET). */
function rowsAfter(after: RowKey | null): SrcRow[] {
  if (after === null) return ROWS;
  if ('ordinal' in after) return ROWS.slice(after.ordinal);
  return ROWS.filter((r) => compareEventKey({ id: r.fields[0]!, createdAt: r.fields[1]! }, after) > 0);
}

/** Deterministic piece sizes so a row's bytes arrive in several data() calls (the assembler must not care). */
function splitter(seed: number): (b: Buffer) => Buffer[] {
  let s = seed;
  return (b) => {
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < b.length) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const n = 1 + (s % 9);
      out.push(b.subarray(pos, pos + n));
      pos += n;
    }
    return out;
  };
}

/**
 * Replays the stream from `cursor.after` (header first when it is null) into a fresh assembler, with
 * sync() after every `syncEvery`-th row (0: never, so only cuts hash).
 */
function runFrom(
  partSize: number,
  cursor: Cursor,
  firstPart: number,
  keyOf: KeyOf,
  split = splitter(7),
  fileHash: Hash | null = null,
  syncEvery = 2,
  checksum: PartChecksum = 'md5',
): BuiltPart[] {
  const asm = new PartAssembler(partSize, cursor, firstPart, keyOf, undefined, fileHash, checksum);
  const parts: BuiltPart[] = [];
  if (cursor.after === null) {
    asm.data(HEADER);
    parts.push(...asm.take());
  }
  for (const [i, row] of rowsAfter(cursor.after).entries()) {
    for (const piece of split(row.data)) {
      asm.data(piece);
      parts.push(...asm.take());
    }
    asm.rowEnd(row.copyRow, 0, row.keyEnd);
    if (syncEvery > 0 && i % syncEvery === 0) asm.sync();
    parts.push(...asm.take());
  }
  parts.push(asm.finish());
  return parts;
}

/** Independent model of the cursor at stream offset `end`: last whole row before it, and the bytes since. */
function expectedCursorAt(end: number, key: (rowIndex: number) => RowKey): Cursor {
  let offset = HEADER.length;
  let done = 0;
  let rowEndOffset = 0;
  for (const r of ROWS) {
    if (offset + r.data.length > end) break;
    offset += r.data.length;
    done++;
    rowEndOffset = offset;
  }
  return { rows: done, after: done === 0 ? null : key(done - 1), skip: end - rowEndOffset };
}

const KINDS = [
  ['eventKey', eventKey as KeyOf, (i: number): RowKey => ({ id: ROWS[i]!.fields[0]!, createdAt: ROWS[i]!.fields[1]! })],
  ['ordinalKey', ordinalKey, (i: number): RowKey => ({ ordinal: i + 1 })],
] as const;

const PART_SIZES = [1, 5, 7, 16, 33, ALL_BYTES.length - 1, ALL_BYTES.length, ALL_BYTES.length + 10];

describe('PartAssembler: splitting', () => {
  it('the fixture is 224 bytes, so part sizes 7 and 16 divide it exactly', () => {
    // Counted by hand; guards the "last part is exactly partSize" cases below.
    expect(ALL_BYTES.length).toBe(224);
  });

  describe.each(KINDS)('%s', (_name, keyOf, keyAt) => {
    it.each(PART_SIZES)('partSize %i: exact parts, concatenation equals the stream, cursors describe the cut', (partSize) => {
      const parts = runFrom(partSize, START_CURSOR, 1, keyOf);
      const n = Math.ceil(ALL_BYTES.length / partSize);
      expect(parts.map((p) => p.partNumber)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      parts.slice(0, -1).forEach((p) => expect(p.body.length).toBe(partSize));
      const last = parts[parts.length - 1]!;
      expect(last.body.length).toBe(ALL_BYTES.length - (n - 1) * partSize);
      expect(last.body.length).toBeGreaterThan(0);
      expect(last.body.length).toBeLessThanOrEqual(partSize);
      // Bodies are kept by reference: a reused buffer would corrupt earlier parts.
      expect(Buffer.concat(parts.map((p) => p.body)).equals(ALL_BYTES)).toBe(true);
      expect(last.next).toBeNull();
      expect(last.rows).toBe(ROWS.length);
      parts.slice(0, -1).forEach((p, i) => {
        const want = expectedCursorAt((i + 1) * partSize, keyAt);
        expect(p.next, `part ${p.partNumber}`).toEqual(want);
        expect(p.rows, `part ${p.partNumber}`).toBe(want.rows);
      });
    });

    it.each([
      [16, 14],
      [7, 32],
      [112, 2],
    ])('partSize %i: %i parts, the last exactly partSize', (partSize, count) => {
      const parts = runFrom(partSize, START_CURSOR, 1, keyOf);
      expect(parts.map((p) => p.body.length)).toEqual(Array(count).fill(partSize));
      expect(parts[count - 1]!.next).toBeNull();
      expect(parts[count - 2]!.next).not.toBeNull();
    });

    it.each(PART_SIZES)("partSize %i: resuming from every part's cursor reproduces the rest byte for byte", (partSize) => {
      const full = runFrom(partSize, START_CURSOR, 1, keyOf);
      for (let k = 2; k <= full.length; k++) {
        const cursor = full[k - 2]!.next!;
        // A different piece split on the replay: byte positions, not call boundaries, must matter.
        const resumed = runFrom(partSize, cursor, k, keyOf, splitter(1000 + k));
        const want = full.slice(k - 1);
        // One cheap comparison per resume point keeps the O(n²) loop fast; the diff shows on failure.
        const view = (ps: BuiltPart[]) => ps.map((p) => ({ n: p.partNumber, body: p.body.toString('hex'), next: p.next, rows: p.rows }));
        const got = view(resumed);
        const expected = view(want);
        if (JSON.stringify(got) !== JSON.stringify(expected)) expect(got, `resumed from part ${k}`).toEqual(expected);
      }
      expect(full.length).toBe(Math.ceil(ALL_BYTES.length / partSize));
    });
  });

  it('a cut inside the header resumes with after=null and a skip into the header', () => {
    const parts = runFrom(4, START_CURSOR, 1, eventKey);
    expect(parts[0]!.next).toEqual({ rows: 0, after: null, skip: 4 });
    expect(parts[0]!.body.toString()).toBe(HEADER.subarray(0, 4).toString());
  });

  it('a cut exactly on a row end resumes after that row with skip 0', () => {
    const partSize = HEADER.length + ROWS[0]!.data.length;
    const parts = runFrom(partSize, START_CURSOR, 1, eventKey);
    expect(parts[0]!.next).toEqual({ rows: 1, after: { id: '5', createdAt: '2026-11-28 00:00:00+00' }, skip: 0 });
    expect(parts[0]!.rows).toBe(1);
  });

  it('a long row spanning several parts keeps the same `after` with a growing skip', () => {
    const parts = runFrom(5, START_CURSOR, 1, ordinalKey);
    const insideLongRow = parts.filter((p) => p.next?.after && 'ordinal' in p.next.after && p.next.after.ordinal === 4);
    expect(insideLongRow.length).toBeGreaterThan(3);
    const skips = insideLongRow.map((p) => p.next!.skip);
    expect(skips).toEqual([...skips].sort((a, b) => a - b));
    expect(new Set(skips).size).toBe(skips.length);
  });

  it('take() hands each part out once', () => {
    const asm = new PartAssembler(4, START_CURSOR, 1, ordinalKey);
    asm.data(Buffer.from('abcdefghij'));
    expect(asm.take().map((p) => p.body.toString())).toEqual(['abcd', 'efgh']);
    expect(asm.take()).toEqual([]);
    expect(asm.finish().body.toString()).toBe('ij');
  });

  it('cuts lazily: a full buffer is not a part until a further byte exists', () => {
    const asm = new PartAssembler(4, START_CURSOR, 1, ordinalKey);
    const row = Buffer.from('abc\n');
    asm.data(row);
    asm.rowEnd(row, 0, 0);
    expect(asm.take()).toEqual([]);
    const final = asm.finish();
    expect(final).toMatchObject({ partNumber: 1, next: null, rows: 1 });
    expect(final.body.toString()).toBe('abc\n');
  });
});

describe('PartAssembler: part checksums', () => {
  it.each(['md5', 'sha256', 'crc32'] as const)("%s: each part's digest is its own bytes', hashed a batch at a time across cuts", (checksum) => {
    const asm = new PartAssembler(10, START_CURSOR, 1, ordinalKey, undefined, null, checksum);
    const bytes = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz!');
    // Pieces that straddle cuts, with sync() (a batch's end) in between some of them.
    for (const [start, end, sync] of [
      [0, 3, true],
      [3, 14, false],
      [14, 15, true],
      [15, 31, true],
      [31, 37, false],
    ] as const) {
      asm.data(bytes, start, end);
      if (sync) asm.sync();
    }
    const parts = [...asm.take(), asm.finish()];
    expect(parts.map((p) => p.body.toString())).toEqual(['0123456789', 'abcdefghij', 'klmnopqrst', 'uvwxyz!']);
    for (const p of parts) expect(p.digest, `part ${p.partNumber}`).toBe(partDigest(checksum, Buffer.from(p.body)));
  });
});

describe('PartAssembler: the spill, when no part buffer is free', () => {
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('base64');
  /** Hands out `n` buffers of `size`, then null (every part buffer busy uploading), recording each. */
  const buffersUpTo = (n: number, size: number) => {
    const given: Buffer[] = [];
    return { given, allocate: () => (given.length < n ? (given.push(Buffer.alloc(size, 0x23)), given.at(-1)!) : null) };
  };

  it('writes on after a cut with no buffer free, and moves into a part buffer once one is adopted', () => {
    const { given, allocate } = buffersUpTo(1, 8);
    const fileHash = createHash('sha256');
    const asm = new PartAssembler(8, START_CURSOR, 1, ordinalKey, allocate, fileHash, 'sha256');
    asm.data(Buffer.from('abcdefgh'));
    expect(asm.spilling).toBe(false);
    asm.data(Buffer.from('ijk'));
    asm.sync();
    expect(asm.spilling).toBe(true);
    const [first] = asm.take();
    expect(first!.body).toBe(given[0]);
    // The first part's upload is done: its buffer takes the spilled bytes, already hashed.
    asm.adopt(first!.body);
    expect(asm.spilling).toBe(false);
    expect(() => asm.adopt(Buffer.alloc(8))).toThrow('not in the spill');
    asm.data(Buffer.from('lm'));
    const last = asm.finish();
    expect(last.body.buffer).toBe(given[0]!.buffer);
    expect(last.body.toString()).toBe('ijklm');
    expect(last.digest).toBe(sha256(Buffer.from('ijklm')));
    expect(fileHash.digest('hex')).toBe(createHash('sha256').update('abcdefghijklm').digest('hex'));
    expect(given).toHaveLength(1);
  });

  it('a spill that fills before a buffer comes back is a part of its own (an encoder writing a large block)', () => {
    const { given, allocate } = buffersUpTo(1, 4);
    const asm = new PartAssembler(4, START_CURSOR, 1, ordinalKey, allocate, null, 'sha256');
    const bytes = Buffer.from('abcdefghijklmn');
    asm.data(bytes);
    const parts = [...asm.take(), asm.finish()];
    expect(parts.map((p) => p.body.toString())).toEqual(['abcd', 'efgh', 'ijkl', 'mn']);
    for (const p of parts) expect(p.digest).toBe(sha256(p.body));
    // One part buffer; the other parts are spills, each new memory once the one before became a part
    // (the bodies read whole above, after every part was cut, so none was overwritten).
    expect(given).toHaveLength(1);
    expect(asm.spilling).toBe(false);
  });

  it('adopt() takes part buffers only', () => {
    const asm = new PartAssembler(8, START_CURSOR, 1, ordinalKey, buffersUpTo(1, 8).allocate);
    asm.data(Buffer.from('abcdefghi'));
    expect(asm.spilling).toBe(true);
    expect(() => asm.adopt(Buffer.alloc(4))).toThrow('part buffers are 8 bytes');
  });
});

describe('PartAssembler: hashing', () => {
  const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
  it.each(PART_SIZES.flatMap((size) => [0, 1, 3].map((every) => [size, every])))(
    'partSize %i, sync after every %i-th row: each part carries its own MD5 and the file hash sees every byte once',
    (partSize, syncEvery) => {
      const fileHash = createHash('sha256');
      const parts = runFrom(partSize, START_CURSOR, 1, eventKey, splitter(3), fileHash, syncEvery);
      for (const p of parts) expect(p.digest, `part ${p.partNumber}`).toBe(md5(p.body));
      expect(fileHash.digest('hex')).toBe(createHash('sha256').update(ALL_BYTES).digest('hex'));
    },
  );

  it.each(PART_SIZES)('partSize %i with checksum sha256: each part carries its own SHA-256, and the file hash is unchanged', (partSize) => {
    const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('base64');
    const fileHash = createHash('sha256');
    const parts = runFrom(partSize, START_CURSOR, 1, eventKey, splitter(3), fileHash, 1, 'sha256');
    for (const p of parts) expect(p.digest, `part ${p.partNumber}`).toBe(sha256(p.body));
    expect(Buffer.concat(parts.map((p) => p.body))).toEqual(ALL_BYTES);
    expect(fileHash.digest('hex')).toBe(createHash('sha256').update(ALL_BYTES).digest('hex'));
  });

  it('a resumed run hashes only its own parts, skipped bytes excluded', () => {
    const full = runFrom(16, START_CURSOR, 1, eventKey);
    const cursor = full[4]!.next!;
    expect(cursor.skip).toBeGreaterThan(0);
    const fileHash = createHash('sha256');
    const resumed = runFrom(16, cursor, 6, eventKey, splitter(11), fileHash);
    for (const p of resumed) expect(p.digest).toBe(md5(p.body));
    expect(fileHash.digest('hex')).toBe(
      createHash('sha256')
        .update(ALL_BYTES.subarray(5 * 16))
        .digest('hex'),
    );
  });
});

describe('PartAssembler: errors', () => {
  it.each([0, -1, 1.5, Number.NaN])('rejects partSize %s', (partSize) => {
    expect(() => new PartAssembler(partSize, START_CURSOR, 1, ordinalKey)).toThrow(/partSize/);
  });

  it('finish() throws when the stream ends before the skip is satisfied', () => {
    const asm = new PartAssembler(8, { rows: 0, after: null, skip: HEADER.length + 5 }, 2, eventKey);
    asm.data(HEADER);
    expect(() => asm.finish()).toThrow(/5 bytes before the resume point/);
  });

  it('finish() throws when the stream ends exactly at the resume point', () => {
    const asm = new PartAssembler(8, { rows: 0, after: null, skip: HEADER.length }, 2, eventKey);
    asm.data(HEADER);
    expect(() => asm.finish()).toThrow(/no bytes left/);
  });

  it('finish() throws when nothing was written at all', () => {
    expect(() => new PartAssembler(8, START_CURSOR, 1, eventKey).finish()).toThrow(/no bytes left/);
  });
});

describe('row keys', () => {
  it('eventKey reads (id, created_at) from the two key columns', () => {
    expect(eventKey(['42', '2026-11-28 00:00:00.5+00'])).toEqual({ id: '42', createdAt: '2026-11-28 00:00:00.5+00' });
    expect(() => eventKey(['42'])).toThrow(/key columns/);
    expect(() => eventKey([])).toThrow(/key columns/);
  });

  it('ordinalKey is the number of rows written so far', () => {
    expect(ordinalKey([], 1)).toEqual({ ordinal: 1 });
    expect(ordinalKey(['ignored'], 250)).toEqual({ ordinal: 250 });
  });
});
