import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync, zstdDecompressSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { csvHeader } from '../../src/export/csv.js';
import { exportTableDay, type ExportTableDayInput } from '../../src/export/export-table-day.js';
import { contentType, fileExtension, formatOfKey, resolveOutputFormat, type OutputFormat } from '../../src/export/formats/format.js';
import { GZIP_LEVEL, GzipMembers, MEMBER_BYTES, MEMBERS_IN_FLIGHT, MemberCompressor } from '../../src/export/formats/gzip-members.js';
import { ParquetRowGroups } from '../../src/export/formats/parquet-row-groups.js';
import { GatherLimitExceeded } from '../../src/export/gather-rows.js';
import { daysFromCivil, unscaledDecimal } from '../../src/export/formats/parquet-columns.js';
import { CsvFields } from '../../src/export/formats/pg-csv-fields.js';
import { objectKeys } from '../../src/export/keys.js';
import { refusedRow } from '../../src/export/query.js';
import { normalizeSettings } from '../../src/export/settings.js';
import type { Checkpoint } from '../../src/export/stream-parts.js';
import { columnNames } from '../../src/export/tables.js';
import { fakeExportPool } from '../helpers/fake-export-db.js';

/** campaign_metrics rows as Postgres's COPY (FORMAT csv) renders them, with values that test quoting and NULLs. */
function metricRow(i: number): string {
  const name = i % 7 === 0 ? '"quote "" comma, and\nnewline"' : i % 11 === 0 ? '""' : `campaign ${createHash('md5').update(String(i)).digest('hex')}`;
  const spend = i % 5 === 0 ? '' : `${i}.${String(i % 100).padStart(2, '0')}`;
  const ctr = i % 3 === 0 ? '0.000001' : '12345678901234567890.123456789';
  return `c${i},${name},a${i % 13},,ad${i},ad name,${i % 2 ? 'ios' : 'android'},2026-03-01,${i * 1000},${i * 10},${i},${i % 4},${spend},${spend},1.5000,0.25,3.1,${ctr},0.5,9,\n`;
}

const integration = { appId: '6f1c3c1e-2a43-4c8e-9d0a-5b9f0a7d1e22', settings: normalizeSettings({}), historicalCutoff: '2000-01-01T00:00:00Z' };
const HEADER = csvHeader(columnNames('campaign_metrics', false));

function run(rows: readonly string[], output: OutputFormat, overrides: Partial<ExportTableDayInput> = {}) {
  const uploaded: { partNumber: number; body: Buffer }[] = [];
  const checkpoints: Checkpoint[] = [];
  const result = exportTableDay({
    pool: fakeExportPool(rows),
    table: 'campaign_metrics',
    day: '2026-03-01',
    integration,
    partSize: 64 * 1024,
    maxInFlight: 2,
    resume: null,
    output,
    uploadPart: async (partNumber, body) => {
      uploaded.push({ partNumber, body: Buffer.from(body) });
      return `"etag-${partNumber}"`;
    },
    onCheckpoint: (cp) => checkpoints.push(cp),
    ...overrides,
  });
  return { uploaded, checkpoints, result };
}

const file = (parts: { body: Buffer }[]) => Buffer.concat(parts.map((p) => p.body));

/** Enough rows for several gzip members and several parts. */
const MANY = Array.from({ length: 30_000 }, (_, i) => metricRow(i));
const CSV_BYTES = Buffer.concat([HEADER, Buffer.from(MANY.join(''))]);

describe('csv_gzip', () => {
  it('stores the CSV as gzip members in equal-size parts, and reports the CSV size', { timeout: 30_000 }, async () => {
    const r = run(MANY, { format: 'csv_gzip', compression: null });
    const out = await r.result;
    const stored = file(r.uploaded);
    expect(gunzipSync(stored).equals(CSV_BYTES)).toBe(true);
    expect(r.uploaded.slice(0, -1).every((p) => p.body.length === 64 * 1024)).toBe(true);
    expect(out).toMatchObject({ rows: MANY.length, bytes: stored.length, uncompressedBytes: CSV_BYTES.length });
    expect(out.sha256).toBe(createHash('sha256').update(stored).digest('hex'));
    expect(CSV_BYTES.length).toBeGreaterThan(2 * MEMBER_BYTES);
    expect(stored.subarray(0, 3).equals(Buffer.from([0x1f, 0x8b, 0x08]))).toBe(true);
  });

  it('writes the members compressed in the thread pool in their order, each exactly gzipSync of its rows', { timeout: 30_000 }, async () => {
    // The members rebuilt here from the rows alone: a member closes after the row that brings it to
    // MEMBER_BYTES of CSV. Any reordering or lost member among those in flight would change the bytes.
    const members: Buffer[] = [];
    let acc: Buffer[] = [HEADER];
    let accBytes = HEADER.length;
    for (const row of MANY) {
      const b = Buffer.from(row);
      acc.push(b);
      accBytes += b.length;
      if (accBytes >= MEMBER_BYTES) {
        members.push(gzipSync(Buffer.concat(acc), { level: GZIP_LEVEL }));
        acc = [];
        accBytes = 0;
      }
    }
    if (accBytes > 0) members.push(gzipSync(Buffer.concat(acc), { level: GZIP_LEVEL }));
    expect(members.length).toBeGreaterThan(2);
    const r = run(MANY, { format: 'csv_gzip', compression: null });
    await r.result;
    expect(file(r.uploaded).equals(Buffer.concat(members))).toBe(true);
  });

  it('gives the same bytes on a rerun', { timeout: 30_000 }, async () => {
    const a = run(MANY, { format: 'csv_gzip', compression: null });
    const b = run(MANY, { format: 'csv_gzip', compression: null });
    await Promise.all([a.result, b.result]);
    expect(file(a.uploaded).equals(file(b.uploaded))).toBe(true);
  });

  it('resumed from a checkpoint (first, middle, last), rebuilds the remaining parts byte for byte from the member holding it', async () => {
    const full = run(MANY, { format: 'csv_gzip', compression: null });
    await full.result;
    expect(full.checkpoints.length).toBeGreaterThan(3);
    // Cursors sit on member boundaries (a whole member's rows): several members, so several boundaries.
    const boundaries = new Set(full.checkpoints.map((cp) => cp.next.rows));
    expect([...boundaries].filter((n) => n > 0 && n < MANY.length).length).toBeGreaterThanOrEqual(2);
    const n = full.checkpoints.length;
    for (const cp of [full.checkpoints[0]!, full.checkpoints[Math.floor(n / 2)]!, full.checkpoints[n - 1]!]) {
      const resumed = run(MANY, { format: 'csv_gzip', compression: null }, { resume: cp });
      const out = await resumed.result;
      const firstNew = cp.parts.length + 1;
      expect(resumed.uploaded[0]!.partNumber).toBe(firstNew);
      expect(file(resumed.uploaded).equals(file(full.uploaded.slice(cp.parts.length)))).toBe(true);
      expect(out.rows).toBe(MANY.length);
      expect(out.sha256).toBeNull();
      expect(out.uncompressedBytes).toBeNull();
    }
  }, 60_000);

  it('reuses its member buffers although the row that closes a member runs past MEMBER_BYTES', { timeout: 30_000 }, async () => {
    // A buffer per member (or one grown for the closing row) is new external memory each time, which
    // V8 counts towards a full collection of the worker's heap (docs/BENCHMARKS.md).
    const rows = [...MANY, ...MANY.map((r) => r.replace(/^c/, 'd'))];
    const members = Math.ceil((HEADER.length + rows.reduce((n, r) => n + Buffer.byteLength(r), 0)) / MEMBER_BYTES);
    expect(members).toBeGreaterThan(2 * (MEMBERS_IN_FLIGHT + 2));
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    try {
      const r = run(rows, { format: 'csv_gzip', compression: null });
      await r.result;
      expect(gunzipSync(file(r.uploaded)).length).toBe(HEADER.length + rows.reduce((n, row) => n + Buffer.byteLength(row), 0));
      // Member-sized buffers: zlib's own output chunks are exactly 1 MiB, so count only larger ones.
      const memberBuffers = allocUnsafe.mock.calls.filter(([size]) => size > MEMBER_BYTES).length;
      expect(memberBuffers).toBeGreaterThan(0);
      expect(memberBuffers).toBeLessThanOrEqual(MEMBERS_IN_FLIGHT + 2);
    } finally {
      allocUnsafe.mockRestore();
    }
  });

  it('is read by zlib as one stream however the members fall, an empty day included', async () => {
    const r = run([], { format: 'csv_gzip', compression: null });
    await r.result;
    expect(gunzipSync(file(r.uploaded)).equals(HEADER)).toBe(true);
  });
});

describe('MemberCompressor (one zlib context per slot, reset between members)', () => {
  it('gives every member exactly gzipSync of it at the format level, member after member on one context', async () => {
    // Large and incompressible members spill over zlib's output buffer, so a member's bytes come as
    // several views, some sharing a buffer with the member before: each must still be its own.
    const inputs = [
      CSV_BYTES.subarray(0, MEMBER_BYTES),
      Buffer.from('a,b\n'),
      randomBytes(3 * MEMBER_BYTES),
      CSV_BYTES.subarray(MEMBER_BYTES, 3 * MEMBER_BYTES),
      Buffer.alloc(2 * MEMBER_BYTES, 'x'),
      randomBytes(777),
    ];
    const c = new MemberCompressor();
    try {
      // Queued at once: one context compresses them one after the other.
      const outs = await Promise.all(inputs.map((i) => c.compress(i)));
      expect(outs.some((o) => o.length > 1)).toBe(true);
      outs.forEach((o, k) => expect(Buffer.concat(o).equals(gzipSync(inputs[k]!, { level: GZIP_LEVEL }))).toBe(true));
      expect(gunzipSync(Buffer.concat(outs.flat())).equals(Buffer.concat(inputs))).toBe(true);
    } finally {
      c.close();
    }
  });
});

const PARQUET_COMPRESSORS = { ZSTD: (input: Uint8Array) => zstdDecompressSync(input), GZIP: (input: Uint8Array) => gunzipSync(input) };

async function readParquet(bytes: Buffer) {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  return { rows: await parquetReadObjects({ file: ab, compressors: PARQUET_COMPRESSORS }), meta: parquetMetadata(ab) };
}

describe('parquet', () => {
  const ROWS = MANY.slice(0, 3_000);

  it.each(['zstd', 'snappy', 'gzip', 'none'] as const)(
    'writes typed columns that a Parquet reader returns exactly (%s)',
    async (compression) => {
      const r = run(ROWS, { format: 'parquet', compression }, { partSize: 16 * 1024 });
      const out = await r.result;
      const stored = file(r.uploaded);
      expect(stored.subarray(0, 4).toString()).toBe('PAR1');
      expect(r.uploaded.slice(0, -1).every((p) => p.body.length === 16 * 1024)).toBe(true);
      expect(out.rows).toBe(ROWS.length);
      const { rows, meta } = await readParquet(stored);
      expect(rows.length).toBe(ROWS.length);
      expect(meta.created_by).toBe('ua-export (parquet-wasm 0.8.0)');
      expect(meta.key_value_metadata ?? []).toEqual([]);
      const codec = { zstd: 'ZSTD', snappy: 'SNAPPY', gzip: 'GZIP', none: 'UNCOMPRESSED' }[compression];
      expect(meta.row_groups[0]!.columns[0]!.meta_data!.codec).toBe(codec);
      const byName = Object.fromEntries(meta.schema.map((s) => [s.name, s]));
      expect(byName.date).toMatchObject({ type: 'INT32', converted_type: 'DATE' });
      expect(byName.spend_usd).toMatchObject({ type: 'FIXED_LEN_BYTE_ARRAY', precision: 38, scale: 9 });
      expect(byName.impressions).toMatchObject({ type: 'INT64' });
      const row7 = rows[7]!;
      expect(row7.campaign_name).toBe('quote " comma, and\nnewline');
      expect(rows[11]!.campaign_name).toBe('');
      expect(row7.adset_name).toBeNull();
      expect(rows[5]!.spend_usd).toBeNull();
      // The reader turns DECIMAL into a JS number; exactness is unscaledDecimal's test below and the real readers'.
      expect(Math.abs((rows[1]!.ctr as number) / Number('12345678901234567890.123456789') - 1)).toBeLessThan(1e-15);
      expect(rows[3]!.ctr).toBeCloseTo(0.000001, 15);
      expect(rows[3]!.impressions).toBe(3000n);
      expect(rows[3]!.date).toEqual(new Date('2026-03-01T00:00:00Z'));
    },
    30_000,
  );

  it('keeps DECIMAL values exact (unscaled integers) and gives the same bytes on a rerun', async () => {
    const a = run(ROWS, { format: 'parquet', compression: 'zstd' });
    const b = run(ROWS, { format: 'parquet', compression: 'zstd' });
    await Promise.all([a.result, b.result]);
    expect(file(a.uploaded).equals(file(b.uploaded))).toBe(true);
    expect(unscaledDecimal('12345678901234567890.123456789', () => never())).toBe(12345678901234567890123456789n);
    expect(unscaledDecimal('-0.5', () => never())).toBe(-500000000n);
    expect(unscaledDecimal('1.2500000000000', () => never())).toBe(1250000000n);
  }, 30_000);

  it('resumes by encoding the file again from the top and uploading only the parts after the checkpoint', async () => {
    const full = run(ROWS, { format: 'parquet', compression: 'zstd' }, { partSize: 8 * 1024 });
    await full.result;
    expect(full.checkpoints.length).toBeGreaterThan(1);
    const n = full.checkpoints.length;
    for (const cp of [full.checkpoints[0]!, full.checkpoints[n - 1]!]) {
      expect(cp.next).toMatchObject({ rows: 0, after: null });
      const resumed = run(ROWS, { format: 'parquet', compression: 'zstd' }, { partSize: 8 * 1024, resume: cp });
      const out = await resumed.result;
      expect(resumed.uploaded[0]!.partNumber).toBe(cp.parts.length + 1);
      expect(file(resumed.uploaded).equals(file(full.uploaded.slice(cp.parts.length)))).toBe(true);
      expect(out.rows).toBe(ROWS.length);
    }
  }, 60_000);

  it('refuses a value DECIMAL(38,9) cannot hold, naming the row and column, as a refused row', async () => {
    const bad = metricRow(1).replace('1.01,1.01', '1.0123456789,1.01');
    const r = run([metricRow(0), bad], { format: 'parquet', compression: 'zstd' });
    const err = await r.result.catch((e: unknown) => e);
    expect(refusedRow(err)).toBe(
      'ua-export refused campaign_metrics row number 2 of the day in (platform, campaign_id, adset_id, ad_id) order: column spend_usd holds 1.0123456789, more than the 9 fraction digits of DECIMAL(38,9)',
    );
  });

  it('writes an empty day as a valid file with the schema and no rows', async () => {
    const r = run([], { format: 'parquet', compression: 'zstd' });
    const out = await r.result;
    const { rows, meta } = await readParquet(file(r.uploaded));
    expect(rows).toEqual([]);
    expect(out.rows).toBe(0);
    expect(meta.schema.slice(1).map((s) => s.name)).toEqual(columnNames('campaign_metrics', false));
  });
});

function never(): never {
  throw new Error('unexpected refusal');
}

describe('Postgres CSV rows split into fields', () => {
  it('tells NULL from an empty string and undoes doubled quotes', () => {
    const row = Buffer.from('a,,"","x,""y""\nz",7\n');
    const f = new CsvFields(5);
    f.split(row, 0, row.length);
    expect([0, 1, 2, 3, 4].map((i) => f.text(row, i))).toEqual(['a', null, '', 'x,"y"\nz', '7']);
  });

  it('refuses a row with another number of fields', () => {
    const row = Buffer.from('a,b\n');
    expect(() => new CsvFields(3).split(row, 0, row.length)).toThrow(/2 fields, expected 3/);
    expect(() => new CsvFields(1).split(row, 0, row.length)).toThrow(/more than 1 fields/);
  });

  it('counts days from the civil calendar exactly, year 1 to 9999', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2026, 3, 1)).toBe(Date.UTC(2026, 2, 1) / 86_400_000);
    expect(daysFromCivil(1, 1, 1)).toBe(-719162);
    expect(daysFromCivil(9999, 12, 31)).toBe(2932896);
  });
});

describe('integration format fields', () => {
  it('defaults to csv, and parquet to zstd', () => {
    expect(resolveOutputFormat({})).toEqual({ value: { format: 'csv', compression: null }, problems: [] });
    expect(resolveOutputFormat({ format: 'parquet' }).value).toEqual({ format: 'parquet', compression: 'zstd' });
    expect(resolveOutputFormat({ format: 'parquet', compression: 'snappy' }).value).toEqual({ format: 'parquet', compression: 'snappy' });
  });

  it('refuses compression for a CSV format and out of range, naming the field', () => {
    expect(resolveOutputFormat({ format: 'csv_gzip', compression: 'zstd' }).problems).toEqual([
      { field: 'compression', rule: 'applies to the parquet format only; format is csv_gzip (gzip is the format itself)' },
    ]);
    expect(resolveOutputFormat({ compression: 'snappy' }).problems[0]?.field).toBe('compression');
    expect(resolveOutputFormat({ format: 'parquet', compression: 'lz4' }).problems).toEqual([
      { field: 'compression', rule: 'must be one of zstd, snappy, gzip, none' },
    ]);
    expect(resolveOutputFormat({ format: 'xlsx' }).problems).toEqual([{ field: 'format', rule: 'must be one of csv, csv_gzip, parquet' }]);
  });

  it('on PATCH, keeps the stored compression, accepts compression alone for parquet, and clears it when leaving parquet', () => {
    const stored = { format: 'parquet', compression: 'gzip' } as const;
    expect(resolveOutputFormat({ format: 'parquet' }, stored).value).toEqual(stored);
    expect(resolveOutputFormat({ compression: 'none' }, stored).value).toEqual({ format: 'parquet', compression: 'none' });
    expect(resolveOutputFormat({ format: 'csv' }, stored).value).toEqual({ format: 'csv', compression: null });
  });

  it('names keys and content types by format, and reads the format back from a key', () => {
    for (const [format, ext, type] of [
      ['csv', '.csv', 'text/csv; charset=utf-8'],
      ['csv_gzip', '.csv.gz', 'application/gzip'],
      ['parquet', '.parquet', 'application/vnd.apache.parquet'],
    ] as const) {
      const key = objectKeys('bucket/pre', 'f', 'ua_events', '2026-03-01', format).dataKey;
      expect(key).toBe(`pre/f/ua_events/dt=2026-03-01/ua_events_2026-03-01${ext}`);
      expect(fileExtension(format)).toBe(ext);
      expect(contentType(format)).toBe(type);
      expect(formatOfKey(key)).toBe(format);
    }
  });
});

// Node's gunzip reads concatenated members as one stream: the property csv_gzip relies on.
it('zlib reads concatenated gzip members as one stream', () => {
  const two = Buffer.concat([gzipSync('a,b\n'), gzipSync('1,2\n')]);
  expect(gunzipSync(two).toString()).toBe('a,b\n1,2\n');
});

describe('the single-request probe of an encoded format (gatherFirst)', () => {
  afterEach(() => vi.restoreAllMocks());

  /** `n` buffers of `size` bytes, then none. */
  const buffers = (n: number, size: number) => {
    let left = n;
    return () => (left-- > 0 ? Buffer.allocUnsafe(size) : null);
  };

  it.each([
    ['csv_gzip', MANY, 2 * 1024 * 1024],
    ['parquet', MANY.slice(0, 3_000), 128 * 1024],
  ] as const)(
    'encodes a day the buffers hold once the COPY has ended, to the same bytes as the streaming path (%s)',
    async (format, rows, size) => {
      const output: OutputFormat = { format, compression: format === 'parquet' ? 'zstd' : null };
      const csvBytes = rows.reduce((n, r) => n + Buffer.byteLength(r), 0);
      // Several buffers, so rows are replayed from more than one.
      expect(csvBytes).toBeGreaterThan(2 * size);
      const direct = run(rows, output, { partSize: 16 * 1024 * 1024 });
      const gathered = run(rows, output, { partSize: 16 * 1024 * 1024, gatherFirst: buffers(4, size) });
      const [a, b] = await Promise.all([direct.result, gathered.result]);
      expect(gathered.uploaded).toHaveLength(1);
      expect(file(gathered.uploaded).equals(file(direct.uploaded))).toBe(true);
      expect(b).toEqual(a);
    },
    30_000,
  );

  it.each(['csv_gzip', 'parquet'] as const)('hands a day larger than the buffers over before encoding a byte of it (%s)', async (format) => {
    const encoded = [vi.spyOn(GzipMembers.prototype, 'data'), vi.spyOn(ParquetRowGroups.prototype, 'data')];
    const pool = fakeExportPool(MANY);
    const r = run(MANY, { format, compression: format === 'parquet' ? 'zstd' : null }, { pool, gatherFirst: buffers(2, 256 * 1024) });
    await expect(r.result).rejects.toBeInstanceOf(GatherLimitExceeded);
    for (const spy of encoded) expect(spy).not.toHaveBeenCalled();
    expect(r.uploaded).toEqual([]);
    // Stopped mid-COPY: the connection is discarded, not pooled.
    expect(pool.clients[0]!.released).toBeInstanceOf(Error);
  });

  it('leaves csv as it was: its bytes are the file, so they stream into the part without gathering', async () => {
    const r = run(MANY, { format: 'csv', compression: null }, { partSize: 16 * 1024 * 1024, gatherFirst: buffers(0, 1) });
    await r.result;
    expect(file(r.uploaded).equals(CSV_BYTES)).toBe(true);
  });
});
