import { describe, expect, it } from 'vitest';
import { CsvRowFramer, type FramerSink, resolveKey } from '../../src/export/row-framer.js';

/** A tiny reference CSV encoder with Postgres's COPY (FORMAT csv) rules: NULL is an empty unquoted field. */
function pgField(v: string | null): string {
  if (v === null) return '';
  if (v === '' || v === '\\.' || /[",\r\n]/.test(v)) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

interface Row {
  key: string[];
  fields: (string | null)[];
}

interface Fixture {
  input: Buffer;
  output: Buffer;
  keys: string[][];
  /** Output byte offset right after each row's `\n`. */
  rowEnds: number[];
}

function fixture(rows: Row[]): Fixture {
  const inParts: Buffer[] = [];
  const outParts: Buffer[] = [];
  const rowEnds: number[] = [];
  let out = 0;
  for (const r of rows) {
    const data = Buffer.from(`${r.fields.map(pgField).join(',')}\n`, 'utf8');
    const keyPrefix = r.key.length > 0 ? `${r.key.join(',')},` : '';
    inParts.push(Buffer.from(keyPrefix, 'utf8'), data);
    outParts.push(data);
    out += data.length;
    rowEnds.push(out);
  }
  return { input: Buffer.concat(inParts), output: Buffer.concat(outParts), keys: rows.map((r) => r.key), rowEnds };
}

interface Recorded {
  output: Buffer;
  keys: (readonly string[])[];
  rowEnds: number[];
  emptyDataCalls: number;
}

function run(keyColumns: number, chunks: Buffer[], end = true): Recorded {
  const framer = new CsvRowFramer(keyColumns);
  const data: Buffer[] = [];
  let written = 0;
  const keys: (readonly string[])[] = [];
  const rowEnds: number[] = [];
  let emptyDataCalls = 0;
  const sink: FramerSink = {
    data(chunk, start = 0, end = chunk.length) {
      if (end - start === 0) emptyDataCalls++;
      data.push(Buffer.from(chunk.subarray(start, end)));
      written += end - start;
    },
    rowEnd(key) {
      // The framer's key is only valid until the next row ends: resolve it now, as the assembler must.
      keys.push(resolveKey(key));
      rowEnds.push(written);
    },
  };
  for (const c of chunks) framer.push(c, sink);
  if (end) framer.end();
  return { output: Buffer.concat(data), keys, rowEnds, emptyDataCalls };
}

/** Why `rec` differs from the fixture, or null when it matches (cheap enough for tight loops). */
function mismatch(rec: Recorded, fx: Fixture): string | null {
  if (!rec.output.equals(fx.output)) return `output ${JSON.stringify(rec.output.toString())} != ${JSON.stringify(fx.output.toString())}`;
  if (JSON.stringify(rec.keys) !== JSON.stringify(fx.keys)) return `keys ${JSON.stringify(rec.keys)} != ${JSON.stringify(fx.keys)}`;
  if (rec.rowEnds.join() !== fx.rowEnds.join()) return `rowEnds ${rec.rowEnds.join()} != ${fx.rowEnds.join()}`;
  if (rec.emptyDataCalls !== 0) return `${rec.emptyDataCalls} empty data() calls`;
  return null;
}

function expectMatches(rec: Recorded, fx: Fixture, label: string): void {
  expect(mismatch(rec, fx), label).toBeNull();
}

const TRICKY: (string | null)[][] = [
  ['plain', 'a,b', null, ''],
  ['say "hi"', 'multi\nline', 'crlf\r\ninside', '"'],
  ['🚀 emoji', 'Кириллица, с запятой', '日本語', 'ends with quote"'],
  [null, null, null, null],
  ['', '', '', ''],
  ['"\n"', '\n', ',', '""'],
  ['\\.', 'trailing\r', ' spaced ', '{"a": "b,c", "n": [1, 2]}'],
];

const withKeys = fixture(
  TRICKY.map((fields, i) => ({
    key: [String(1000 + i), `2026-01-01 00:00:0${i}.5+00`],
    fields,
  })),
);
const withoutKeys = fixture(TRICKY.map((fields) => ({ key: [], fields })));

describe('reference fixture sanity', () => {
  it('holds the tricky spellings the framer must survive', () => {
    const text = withKeys.input.toString('utf8');
    expect(text.startsWith('1000,2026-01-01 00:00:00.5+00,plain,"a,b",,""\n')).toBe(true);
    expect(text).toContain('"say ""hi"""');
    expect(text).toContain('"multi\nline","crlf\r\ninside",""""');
    expect(text).toContain('1003,2026-01-01 00:00:03.5+00,,,,\n');
    expect(withKeys.keys).toHaveLength(TRICKY.length);
    // Multi-byte characters are present, so some byte boundaries fall inside a character.
    expect(withKeys.input.length).toBeGreaterThan(text.length);
  });
});

describe.each([
  ['2 key columns', 2, withKeys],
  ['0 key columns', 0, withoutKeys],
] as const)('CsvRowFramer with %s', (_label, keyColumns, fx) => {
  it('passes the input through minus the key columns, one rowEnd per row', () => {
    expectMatches(run(keyColumns, [fx.input]), fx, 'single chunk');
  });

  it('gives identical output when split at every byte boundary', () => {
    for (let b = 0; b <= fx.input.length; b++) {
      expectMatches(run(keyColumns, [fx.input.subarray(0, b), fx.input.subarray(b)]), fx, `split at ${b}`);
    }
  });

  it('gives identical output when split at every pair of nearby byte boundaries', () => {
    // Both cuts within 32 bytes of each other: two boundaries inside one field, quote pair or key.
    const n = fx.input.length;
    const failures: string[] = [];
    for (let a = 1; a < n; a++) {
      for (let b = a; b < Math.min(n, a + 32); b++) {
        const why = mismatch(run(keyColumns, [fx.input.subarray(0, a), fx.input.subarray(a, b), fx.input.subarray(b)]), fx);
        if (why) failures.push(`split at ${a},${b}: ${why}`);
      }
    }
    expect(failures.slice(0, 3)).toEqual([]);
  });

  it('gives identical output fed one byte at a time', () => {
    const chunks = Array.from({ length: fx.input.length }, (_, i) => fx.input.subarray(i, i + 1));
    expectMatches(run(keyColumns, chunks), fx, '1-byte chunks');
  });

  it('gives identical output for seeded random chunkings (with empty chunks)', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    for (let trial = 0; trial < 200; trial++) {
      const chunks: Buffer[] = [];
      let pos = 0;
      while (pos < fx.input.length) {
        const len = Math.floor(rand() * 12); // 0 means an empty chunk
        chunks.push(fx.input.subarray(pos, pos + len));
        pos += len;
      }
      expectMatches(run(keyColumns, chunks), fx, `trial ${trial}`);
    }
  });

  it('end() throws at every cut inside a row and passes at every row end', () => {
    // Input offsets where a row ends, from the fixture's own row lengths (LFs inside quotes don't count).
    const complete: number[] = [];
    let offset = 0;
    const text = fx.input;
    for (let r = 0; r < fx.keys.length; r++) {
      const keyLen = fx.keys[r]!.length > 0 ? Buffer.byteLength(`${fx.keys[r]!.join(',')},`) : 0;
      const dataLen = fx.rowEnds[r]! - (r === 0 ? 0 : fx.rowEnds[r - 1]!);
      offset += keyLen + dataLen;
      complete.push(offset);
    }
    expect(offset).toBe(text.length);
    const ends = new Set([0, ...complete]);
    for (let b = 0; b <= text.length; b++) {
      const framer = new CsvRowFramer(keyColumns);
      const sink: FramerSink = { data() {}, rowEnd() {} };
      framer.push(text.subarray(0, b), sink);
      if (ends.has(b)) expect(() => framer.end(), `cut at ${b}`).not.toThrow();
      else expect(() => framer.end(), `cut at ${b}`).toThrow(/middle of a row/);
    }
  });
});

describe('CsvRowFramer specifics', () => {
  const noop: FramerSink = { data() {}, rowEnd() {} };

  it('strips exactly the key columns from a Postgres-style row', () => {
    const rec = run(2, [Buffer.from('123,2026-01-01 00:00:00.5+00,abc,"x,y",\n')]);
    expect(rec.output.toString()).toBe('abc,"x,y",\n');
    expect(rec.keys).toEqual([['123', '2026-01-01 00:00:00.5+00']]);
  });

  it('treats an LF inside quotes as data, even after doubled quotes', () => {
    const rec = run(0, [Buffer.from('"a""\nb",c\n"\r\n"\n')]);
    expect(rec.keys).toHaveLength(2);
    expect(rec.rowEnds).toEqual([Buffer.byteLength('"a""\nb",c\n'), Buffer.byteLength('"a""\nb",c\n"\r\n"\n')]);
  });

  it('calls rowEnd only after the row\'s LF was written', () => {
    const events: string[] = [];
    const framer = new CsvRowFramer(1);
    const sink: FramerSink = {
      data: (b, start = 0, end = b.length) => events.push(`data:${b.toString('utf8', start, end)}`),
      rowEnd: (k) => events.push(`end:${resolveKey(k).join('|')}`),
    };
    framer.push(Buffer.from('7,ab'), sink);
    framer.push(Buffer.from('c\n8,'), sink);
    framer.push(Buffer.from('d\n'), sink);
    framer.end();
    expect(events.join(' ')).toBe('data:ab data:c\n end:7 data:d\n end:8');
  });

  it('end() throws when stopped inside quotes even right after an LF', () => {
    const framer = new CsvRowFramer(0);
    framer.push(Buffer.from('a,"open\n'), noop);
    expect(() => framer.end()).toThrow(/middle of a row/);
  });

  it('end() throws when stopped inside the key columns or right after them', () => {
    for (const partial of ['1', '1,', '1,2026-01-01', '1,2026-01-01 00:00:00+00,']) {
      const framer = new CsvRowFramer(2);
      framer.push(Buffer.from(partial), noop);
      expect(() => framer.end(), partial).toThrow(/middle of a row/);
    }
  });

  it('end() throws on a final row without its LF', () => {
    const framer = new CsvRowFramer(0);
    framer.push(Buffer.from('a,b\nc,d'), noop);
    expect(() => framer.end()).toThrow(/middle of a row/);
  });

  it('an empty stream is a valid (empty) end', () => {
    const framer = new CsvRowFramer(2);
    framer.push(Buffer.alloc(0), noop);
    expect(() => framer.end()).not.toThrow();
  });
});
