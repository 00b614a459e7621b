import { createRequire } from 'node:module';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import type * as Arrow from 'apache-arrow';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import type * as ParquetWasm from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from 'hyparquet-writer';
import { serializeTCompactProtocol } from 'hyparquet-writer/src/thrift.js';
import { fileMetadata } from '../../src/export/formats/parquet-footer.js';
import { ParquetRowGroups } from '../../src/export/formats/parquet-row-groups.js';
import { encodeRowGroup } from '../../src/export/formats/parquet-thread.js';
import type { BuiltPart, PartAssembler } from '../../src/export/part-assembler.js';
import { columnSpecs, type TableName } from '../../src/export/tables.js';

const require = createRequire(import.meta.url);
const A = require('apache-arrow') as typeof Arrow;
const pw = require('parquet-wasm') as typeof ParquetWasm;

/** Collects what the encoder writes: the file's bytes, as the part assembler would receive them. */
class Collect {
  chunks: Buffer[] = [];
  data(bytes: Buffer, start = 0, end = bytes.length) {
    this.chunks.push(Buffer.from(bytes.subarray(start, end)));
  }
  sync() {}
  take(): BuiltPart[] {
    return [];
  }
  finish(): BuiltPart {
    return { partNumber: 1, body: Buffer.alloc(0), next: null, rows: 0, digest: '' };
  }
  get file() {
    return Buffer.concat(this.chunks);
  }
}

async function encode(table: TableName, rows: string[], maxRows: number, pieces = 1) {
  const out = new Collect();
  const enc = new ParquetRowGroups(out as unknown as PartAssembler, {
    table,
    columns: columnSpecs(table, false),
    compression: 'zstd',
    headerBytes: 0,
    rowName: (_k, n) => `number ${n}`,
    maxRows,
  });
  for (const r of rows) {
    const b = Buffer.from(r);
    // A row may come in several calls (each then gathered) or in one (read where it lies).
    const cut = Math.ceil(b.length / pieces);
    for (let at = 0; at < b.length; at += cut) enc.data(b, at, Math.min(b.length, at + cut));
    enc.rowEnd(b, 0, 0);
    await enc.flush(false);
  }
  await enc.flush(true);
  enc.finish();
  return out.file;
}

const ab = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
const COMPRESSORS = { ZSTD: (i: Uint8Array) => zstdDecompressSync(i), GZIP: (i: Uint8Array) => gunzipSync(i) };
const exact = { timestampFromMicroseconds: (us: bigint) => us, jsonFromBytes: (b: Uint8Array) => Buffer.from(b).toString('utf8') };

/** A ua_events row of the CSV contract (38 columns), with the values under test in its first fields. */
function eventRow(i: number, over: { at?: string; json?: string; name?: string } = {}): string {
  const cols = columnSpecs('ua_events', false);
  return (
    cols
      .map((c) => {
        if (c.name === 'event_datetime') return over.at ?? `2026-03-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(6, '0')}Z`;
        if (c.name === 'custom_parameters') return over.json ?? `"{""k"": ${i}, ""s"": ""a,b""}"`;
        if (c.name === 'campaign_name') return over.name ?? `camp ${i}`;
        if (c.name === 'conversion_value_usd') return i % 3 === 0 ? '' : `${i}.25`;
        if (c.type === 'timestamp') return '';
        if (c.type === 'decimal') return '';
        if (c.name === 'profile_id') return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        return i % 5 === 0 ? '' : `${c.name}-${i}`;
      })
      .join(',') + '\n'
  );
}

describe('ParquetRowGroups (Arrow buffers, parquet-wasm, one combined footer)', () => {
  const rows = [
    ...Array.from({ length: 40 }, (_, i) => eventRow(i)),
    eventRow(40, { at: '0001-01-01T00:00:00.000000Z', name: '"quote "" comma, and\nnewline"' }),
    eventRow(41, { at: '9999-12-31T23:59:59.999999Z', name: '""', json: '"[]"' }),
    eventRow(42, { at: '1969-12-31T23:59:59.999999Z', name: '"é ✓ 𝄞"' }),
  ];

  it('writes several row groups into one file that a reader returns exactly, JSON typed as JSON', async () => {
    const file = await encode('ua_events', rows, 7);
    expect(file.subarray(0, 4).toString()).toBe('PAR1');
    expect(file.subarray(-4).toString()).toBe('PAR1');
    const meta = parquetMetadata(ab(file));
    expect(meta.row_groups.length).toBe(Math.ceil(rows.length / 7));
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([7, 7, 7, 7, 7, 7, 1]);
    expect(Number(meta.num_rows)).toBe(rows.length);
    expect(meta.schema[0]!.name).toBe('schema');
    expect(meta.key_value_metadata ?? []).toEqual([]);
    const byName = Object.fromEntries(meta.schema.map((s) => [s.name, s]));
    expect(byName.custom_parameters).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'JSON' } });
    expect(byName.campaign_name).toMatchObject({ type: 'BYTE_ARRAY', logical_type: { type: 'STRING' } });
    expect(byName.event_datetime).toMatchObject({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } });
    // Every chunk's offsets point into this file: the reader reads each row group where the footer says.
    const got = await parquetReadObjects({ file: ab(file), compressors: COMPRESSORS, parsers: exact });
    expect(got.length).toBe(rows.length);
    expect(got[8]!.campaign_name).toBe('camp 8');
    expect(got[8]!.custom_parameters).toBe('{"k": 8, "s": "a,b"}');
    expect(got[5]!.adset_id).toBeNull();
    expect(got[40]!.campaign_name).toBe('quote " comma, and\nnewline');
    expect(got[41]!.campaign_name).toBe('');
    expect(got[41]!.custom_parameters).toBe('[]');
    expect(got[42]!.campaign_name).toBe('é ✓ 𝄞');
    expect(got[13]!.event_datetime).toBe(BigInt(Date.UTC(2026, 2, 1, 0, 0, 13)) * 1000n + 13n);
    // The BigInt path (beyond a double's exact microseconds) and the first instant before the epoch.
    expect(got[40]!.event_datetime).toBe(-62135596800000000n);
    expect(got[41]!.event_datetime).toBe(253402300799999999n);
    expect(got[42]!.event_datetime).toBe(-1n);
  });

  it('gives the same bytes for the same rows (whole or in pieces), and the statistics of each row group', async () => {
    const a = await encode('ua_events', rows, 7);
    expect((await encode('ua_events', rows, 7)).equals(a)).toBe(true);
    expect((await encode('ua_events', rows, 7, 3)).equals(a)).toBe(true);
    const meta = parquetMetadata(ab(a));
    const stats = meta.row_groups[0]!.columns.find((c) => c.meta_data!.path_in_schema[0] === 'campaign_name')!.meta_data!.statistics!;
    expect(stats).toMatchObject({ null_count: 0n, min_value: 'camp 0', max_value: 'camp 6' });
  });

  it.each([0, 3, 20])(
    'writes the footer with its row groups spliced in as encoded bytes, exactly as one Thrift struct would be (%i row groups)',
    async (groups) => {
      // The row groups' metadata is kept encoded (memory flat with the row count) and the footer's
      // row_groups list is written by hand around it: decoding the footer and encoding it again in
      // one piece must give the same bytes, for a list header in one byte (< 15) and with a varint,
      // and for an empty day's file.
      const file = await encode(
        'ua_events',
        Array.from({ length: groups * 4 }, (_, i) => eventRow(i)),
        4,
      );
      const length = file.readUInt32LE(file.length - 8);
      const stored = file.subarray(file.length - 8 - length, file.length - 8);
      // A Uint8Array of its own, as the Parquet thread hands files over (a Buffer's slice is a view).
      const meta = fileMetadata(new Uint8Array(file));
      expect((meta.field_4 as unknown[]).length).toBe(groups);
      const writer = new ByteWriter();
      serializeTCompactProtocol(writer, meta);
      expect(Buffer.from(writer.getBuffer()).equals(stored)).toBe(true);
      expect(parquetMetadata(ab(file)).row_groups.length).toBe(groups);
    },
  );

  it('writes files at once on the shared Parquet thread without mixing their row groups', async () => {
    const alone = await encode('ua_events', rows, 5);
    const other = await encode('ua_events', rows.slice(3), 4);
    const [a, b] = await Promise.all([encode('ua_events', rows, 5), encode('ua_events', rows.slice(3), 4)]);
    expect(a.equals(alone)).toBe(true);
    expect(b.equals(other)).toBe(true);
  });

  it('keeps DECIMAL(38,9) and INT64 values exact, on both the fast and the BigInt paths', async () => {
    const cols = columnSpecs('campaign_metrics', false);
    const values = [
      '0',
      '-0.5',
      '1.25',
      '9007198.999999999',
      '9007199.5',
      '12345678901234567890.123456789',
      '-99999999999999999999999999999.999999999',
      '0.000000001',
      '-7',
    ];
    const ints = ['0', '-1', '999999999999999', '9223372036854775807', '-9223372036854775808', '42', '7', '1', '2'];
    const csv = values.map(
      (v, i) =>
        cols
          .map((c) =>
            c.name === 'spend_usd'
              ? v
              : c.name === 'impressions'
                ? ints[i]
                : c.type === 'date'
                  ? '2026-03-01'
                  : c.type === 'decimal' || c.type === 'int64'
                    ? ''
                    : `x${i}`,
          )
          .join(',') + '\n',
    );
    const file = await encode('campaign_metrics', csv, 4);
    const table = A.tableFromIPC(pw.readParquet(file).intoIPCStream());
    const unscaled = (words: Uint32Array) =>
      BigInt.asIntN(
        128,
        words.reduceRight((acc, w) => (acc << 32n) | BigInt(w), 0n),
      );
    const spend = table.getChild('spend_usd')!;
    const got = Array.from({ length: values.length }, (_, i) => unscaled(spend.get(i) as Uint32Array));
    const want = values.map((v) => {
      const [w, f = ''] = v.replace('-', '').split('.');
      const u = BigInt(w! + f.padEnd(9, '0'));
      return v.startsWith('-') ? -u : u;
    });
    expect(got).toEqual(want);
    expect(table.getChild('impressions')!.toArray()).toEqual(BigInt64Array.from(ints.map((s) => BigInt(s))));
  });

  it('writes an empty day as a file with the schema and no row groups', async () => {
    const file = await encode('ua_events', [], 7);
    const meta = parquetMetadata(ab(file));
    expect(meta.row_groups).toEqual([]);
    expect(meta.schema.slice(1).map((s) => s.name)).toEqual(columnSpecs('ua_events', false).map((c) => c.name));
    expect(await parquetReadObjects({ file: ab(file), compressors: COMPRESSORS })).toEqual([]);
  });

  it('fails a row group the writer rejects, and writes the next one on a fresh thread', async () => {
    const job = { compression: 'zstd' as const, maxRows: 10, createdBy: 'test' };
    await expect(encodeRowGroup({ ...job, ipc: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) })).rejects.toThrow(/^Parquet writer: /);
    const ipc = A.tableToIPC(A.tableFromArrays({ n: Int32Array.from([1, 2, 3]) }), 'stream');
    const file = await encodeRowGroup({ ...job, ipc });
    expect(parquetMetadata(ab(Buffer.from(file))).num_rows).toBe(3n);
  });
});
