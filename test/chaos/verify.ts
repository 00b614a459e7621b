import { createHash } from 'node:crypto';
import { GetObjectCommand, ListMultipartUploadsCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import type { EventRow, MetricRow } from '../../src/dev/generate.js';
import { expectedEventsCsv, expectedMetricsCsv } from '../helpers/expected-csv.js';

/**
 * Checks a delivered day without the export code: the object is read with a plain S3 client and a
 * strict CSV reader, the expected rows come from Postgres through a query written here and the test
 * suite's own reference encoder, and the ledger is read straight from its tables.
 */
export type Table = 'ua_events' | 'campaign_metrics';

export interface DayTarget {
  integrationId: string;
  appId: string;
  bucket: string;
  folder: string;
  day: string;
  table: Table;
  includeEventsWithoutProfile: boolean;
}

export interface DayVerdict {
  day: string;
  table: Table;
  delivered: boolean;
  exact: boolean;
  expectedRows: number;
  rowsLost: number;
  rowsDuplicated: number;
  rowsForeign: number;
  manifestOk: boolean;
  ledgerOk: boolean;
  problems: string[];
}

// Every value as Postgres's own text (no JS Date, no float), JSON parsed for the reference encoder.
const rawTypes = {
  getTypeParser: (oid: number) => (oid === 3802 || oid === 114 ? (v: string) => JSON.parse(v) as unknown : (v: string) => v),
};

async function expectedCsv(db: pg.ClientBase, t: DayTarget): Promise<{ csv: string; rows: number }> {
  if (t.table === 'ua_events') {
    const { rows } = await db.query<EventRow>({
      text: `SELECT * FROM ua_events
              WHERE app_id = $1 AND created_at >= $2::date::timestamp AT TIME ZONE 'UTC'
                AND created_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'
                AND ($3 OR profile_id IS NOT NULL)
              ORDER BY created_at, id`,
      values: [t.appId, t.day, t.includeEventsWithoutProfile],
      types: rawTypes,
    });
    return { csv: expectedEventsCsv(rows), rows: rows.length };
  }
  const { rows } = await db.query<MetricRow>({
    text: 'SELECT * FROM campaign_metrics WHERE app_id = $1 AND date = $2::date',
    values: [t.appId, t.day],
    types: rawTypes,
  });
  return { csv: expectedMetricsCsv(rows), rows: rows.length };
}

/** Records of a CSV file, strictly: RFC 4180 quotes, one column count for every record. */
function records(csv: string): { header: string; rows: string[] } {
  const out = parse(csv, { raw: true, bom: false, relax_quotes: false, relax_column_count: false, skip_empty_lines: false }) as unknown as {
    record: string[];
    raw: string;
  }[];
  const [head, ...rest] = out;
  return { header: head ? head.record.join(',') : '', rows: rest.map((r) => r.raw) };
}

const rowHash = (raw: string) => createHash('sha1').update(raw.replace(/\n$/, '')).digest('base64');

function multiset(rows: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(rowHash(r), (m.get(rowHash(r)) ?? 0) + 1);
  return m;
}

export function dayKeys(t: Pick<DayTarget, 'folder' | 'table' | 'day'>): { dataKey: string; manifestKey: string } {
  const dir = [t.folder, t.table, `dt=${t.day}`].filter(Boolean).join('/');
  return { dataKey: `${dir}/${t.table}_${t.day}.csv`, manifestKey: `${dir}/_manifest.json` };
}

async function getObject(s3: S3Client, bucket: string, key: string): Promise<Buffer | null> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return null;
    throw err;
  }
}

export async function verifyDay(s3: S3Client, databaseUrl: string, t: DayTarget): Promise<DayVerdict> {
  const v: DayVerdict = {
    day: t.day,
    table: t.table,
    delivered: false,
    exact: false,
    expectedRows: 0,
    rowsLost: 0,
    rowsDuplicated: 0,
    rowsForeign: 0,
    manifestOk: false,
    ledgerOk: false,
    problems: [],
  };
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query("SET TimeZone = 'UTC'");
    // The verifier is not under test: the slow scenario's database-wide statement and idle limits
    // must not cut its own reading of the expected rows short.
    await db.query('SET statement_timeout = 0');
    await db.query('SET idle_in_transaction_session_timeout = 0');
    const expected = await expectedCsv(db, t);
    v.expectedRows = expected.rows;
    const { dataKey, manifestKey } = dayKeys(t);
    const bytes = await getObject(s3, t.bucket, dataKey);
    const manifestBytes = await getObject(s3, t.bucket, manifestKey);
    if (!bytes) v.problems.push(`no object at ${dataKey}`);
    if (!manifestBytes) v.problems.push(`no manifest at ${manifestKey}`);
    const sha256 = bytes ? createHash('sha256').update(bytes).digest('hex') : null;
    if (bytes) {
      v.delivered = true;
      const got = records(bytes.toString('utf8'));
      const want = records(expected.csv);
      if (got.header !== want.header) v.problems.push(`header differs: ${got.header.slice(0, 80)}…`);
      const gotSet = multiset(got.rows);
      const wantSet = multiset(want.rows);
      for (const [h, n] of wantSet) {
        const g = gotSet.get(h) ?? 0;
        if (g < n) v.rowsLost += n - g;
        if (g > n) v.rowsDuplicated += g - n;
      }
      for (const [h, g] of gotSet) if (!wantSet.has(h)) v.rowsForeign += g;
      v.exact = bytes.equals(Buffer.from(expected.csv, 'utf8'));
      if (!v.exact) v.problems.push(`bytes differ from the expected file (lost ${v.rowsLost}, duplicated ${v.rowsDuplicated}, foreign ${v.rowsForeign})`);
      if (manifestBytes) {
        const m = JSON.parse(manifestBytes.toString('utf8')) as { sha256?: string; bytes?: number; rows?: number; key?: string };
        v.manifestOk = m.sha256 === sha256 && m.bytes === bytes.length && m.rows === got.rows.length && m.key === dataKey;
        if (!v.manifestOk)
          v.problems.push(
            `manifest ${JSON.stringify({ sha256: m.sha256, bytes: m.bytes, rows: m.rows, key: m.key })} ≠ object ${JSON.stringify({ sha256, bytes: bytes.length, rows: got.rows.length, key: dataKey })}`,
          );
      }
    }
    const run = await db.query<{ status: string; sha256: string | null }>(
      'SELECT status, sha256 FROM export_runs WHERE integration_id = $1 AND table_name = $2 AND day = $3 ORDER BY id DESC LIMIT 1',
      [t.integrationId, t.table, t.day],
    );
    const state = await db.query<{ status: string }>('SELECT status FROM export_day_state WHERE integration_id = $1 AND table_name = $2 AND day = $3', [
      t.integrationId,
      t.table,
      t.day,
    ]);
    const latest = run.rows[0];
    const dayState = state.rows[0]?.status;
    v.ledgerOk = latest?.status === 'succeeded' && latest.sha256 === sha256 && dayState === 'succeeded';
    if (!v.ledgerOk) v.problems.push(`ledger: latest run ${latest?.status ?? 'none'} sha256 ${latest?.sha256 ?? 'none'}, day state ${dayState ?? 'none'}`);
  } finally {
    await db.end();
  }
  return v;
}

/** Multipart uploads still open anywhere in the bucket. */
export async function openUploads(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
    keys.push(...(out.Uploads ?? []).map((u) => `${u.Key} (${u.UploadId})`));
    if (!out.IsTruncated) return keys;
    keyMarker = out.NextKeyMarker;
    uploadIdMarker = out.NextUploadIdMarker;
  }
}

export const dayIsGood = (v: DayVerdict): boolean =>
  v.delivered && v.exact && v.manifestOk && v.ledgerOk && v.rowsLost === 0 && v.rowsDuplicated === 0 && v.rowsForeign === 0;
