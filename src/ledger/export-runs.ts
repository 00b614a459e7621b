import type { Pool } from '../db/pool.js';
import { dayCount } from '../export/days.js';
import type { TableName } from '../export/tables.js';

/** The ledger: one row per attempt (workflow run) per integration, table and day. */

export type RunKind = 'scheduled' | 'backfill' | 'manual' | 'redelivery' | 'repair';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunIdentity {
  integrationId: string;
  table: TableName;
  day: string;
  workflowId: string;
  runId: string;
}

export async function recordRunStart(pool: Pool, run: RunIdentity & { kind: RunKind; objectKey: string; manifestKey: string }): Promise<void> {
  // Idempotent per (workflow run, table): an activity retried after a lost response changes nothing.
  await pool.query(
    `WITH ins AS (
       INSERT INTO export_runs (integration_id, table_name, day, workflow_id, run_id, kind, status, object_key, manifest_key)
       VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8)
       ON CONFLICT (workflow_id, run_id, table_name) DO NOTHING
       RETURNING id, integration_id, table_name, day, status, rows, bytes
     )
     ${UPSERT_DAY_STATE}`,
    [run.integrationId, run.table, run.day, run.workflowId, run.runId, run.kind, run.objectKey, run.manifestKey],
  );
}

/** Moves the day's state to the attempt in `ins`, unless a newer attempt already owns it. */
const UPSERT_DAY_STATE = `
  INSERT INTO export_day_state (integration_id, table_name, day, run_row_id, status, rows, bytes, updated_at)
  SELECT integration_id, table_name, day, id, status, rows, bytes, now() FROM ins
  ON CONFLICT (integration_id, day, table_name) DO UPDATE
    SET run_row_id = EXCLUDED.run_row_id, status = EXCLUDED.status, rows = EXCLUDED.rows, bytes = EXCLUDED.bytes, updated_at = now()
    WHERE export_day_state.run_row_id <= EXCLUDED.run_row_id`;

export async function recordUploadId(pool: Pool, run: RunIdentity, uploadId: string): Promise<void> {
  await pool.query(`UPDATE export_runs SET upload_id = $4 WHERE workflow_id = $1 AND run_id = $2 AND table_name = $3`, [
    run.workflowId,
    run.runId,
    run.table,
    uploadId,
  ]);
}

export interface RunOutcome {
  status: Exclude<RunStatus, 'running'>;
  rows?: number;
  bytes?: number;
  parts?: number;
  sha256?: string;
  error?: string;
}

export async function recordRunFinish(pool: Pool, run: RunIdentity, outcome: RunOutcome): Promise<void> {
  const params = [
    run.workflowId,
    run.runId,
    run.table,
    outcome.status,
    outcome.rows ?? null,
    outcome.bytes ?? null,
    outcome.parts ?? null,
    outcome.sha256 ?? null,
    outcome.error ?? null,
  ];
  const update = `UPDATE export_runs SET status = $4, rows = $5, bytes = $6, parts = $7, sha256 = $8, error = $9, finished_at = now()
     WHERE workflow_id = $1 AND run_id = $2 AND table_name = $3
     RETURNING id, integration_id, table_name, day, status, rows, bytes`;
  if (outcome.status !== 'cancelled') {
    await pool.query(`WITH ins AS (${update}) ${UPSERT_DAY_STATE}`, params);
    return;
  }
  // A cancelled attempt never touched what an earlier one delivered: cancellation only reaches the
  // start and the part uploads (completion, which replaces the file and its manifest, is not
  // cancellable). So the day keeps the state of the latest earlier attempt that finished, succeeded
  // or failed; with none, it is the cancelled attempt's (missing in the calendar).
  await pool.query(
    `WITH upd AS (${update}),
     ins AS (
       -- The statement's snapshot still sees the cancelled row as running: take that one from upd.
       SELECT id, integration_id, table_name, day, status, rows, bytes FROM (
         SELECT e.id, e.integration_id, e.table_name, e.day, e.status, e.rows, e.bytes, 1 AS pref
         FROM upd CROSS JOIN LATERAL (
           SELECT * FROM export_runs e
           WHERE e.integration_id = upd.integration_id AND e.day = upd.day AND e.table_name = upd.table_name
             AND e.id < upd.id AND e.status IN ('succeeded', 'failed')
           ORDER BY e.id DESC LIMIT 1
         ) e
         UNION ALL
         SELECT id, integration_id, table_name, day, status, rows, bytes, 2 FROM upd
       ) c ORDER BY pref LIMIT 1
     )
     INSERT INTO export_day_state (integration_id, table_name, day, run_row_id, status, rows, bytes, updated_at)
     SELECT integration_id, table_name, day, id, status, rows, bytes, now() FROM ins
     ON CONFLICT (integration_id, day, table_name) DO UPDATE
       SET run_row_id = EXCLUDED.run_row_id, status = EXCLUDED.status, rows = EXCLUDED.rows, bytes = EXCLUDED.bytes, updated_at = now()
       -- Only while the cancelled attempt (or an older one) holds the day: a newer attempt keeps it.
       WHERE export_day_state.run_row_id <= (SELECT id FROM upd)`,
    params,
  );
}

export interface LedgerEntry {
  day: string;
  table: TableName;
  status: RunStatus | 'missing';
  rows: number | null;
  bytes: number | null;
  key: string | null;
  sha256: string | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  workflowId: string | null;
  runId: string | null;
  kind: RunKind | null;
  attempts: number;
}

/**
 * The attempt that decides each day and table over [from, to] (the latest, except that a cancelled
 * attempt leaves an earlier finished one in place; see recordRunFinish), with a `missing` entry for
 * every day never exported, so gaps show up instead of silently not being there.
 */
export async function ledgerForRange(pool: Pool, integrationId: string, from: string, to: string, tables: readonly TableName[]): Promise<LedgerEntry[]> {
  const { rows } = await pool.query<{
    day: string;
    table_name: TableName;
    status: RunStatus | null;
    rows: string | null;
    bytes: string | null;
    object_key: string | null;
    sha256: string | null;
    error: string | null;
    started_at: Date | null;
    finished_at: Date | null;
    workflow_id: string | null;
    run_id: string | null;
    kind: RunKind | null;
    attempts: string;
  }>(
    `WITH days AS (
       SELECT d::date AS day, t AS table_name
       FROM generate_series($2::date, $3::date, interval '1 day') d, unnest($4::text[]) t
     ), latest AS (
       -- The attempt the day's state points at (so this agrees with the calendar's codes), with the count of all.
       SELECT r.*, (SELECT count(*) FROM export_runs a WHERE a.integration_id = $1 AND a.day = s.day AND a.table_name = s.table_name) AS attempts
       FROM export_day_state s JOIN export_runs r ON r.id = s.run_row_id
       WHERE s.integration_id = $1 AND s.day BETWEEN $2 AND $3
     )
     SELECT days.day::text AS day, days.table_name, l.status, l.rows, l.bytes, l.object_key, l.sha256, l.error,
            l.started_at, l.finished_at, l.workflow_id, l.run_id, l.kind, COALESCE(l.attempts, 0) AS attempts
     FROM days LEFT JOIN latest l ON l.day = days.day AND l.table_name = days.table_name
     ORDER BY days.day, days.table_name`,
    [integrationId, from, to, tables],
  );
  return rows.map((r) => ({
    day: r.day,
    table: r.table_name,
    status: r.status ?? 'missing',
    rows: r.rows === null ? null : Number(r.rows),
    bytes: r.bytes === null ? null : Number(r.bytes),
    key: r.object_key,
    sha256: r.sha256,
    error: r.error,
    startedAt: r.started_at ? r.started_at.toISOString() : null,
    finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
    workflowId: r.workflow_id,
    runId: r.run_id,
    kind: r.kind,
    attempts: Number(r.attempts),
  }));
}

/**
 * One character per day and integration, for the export calendar: `x` exported, `e` exported but
 * empty, `f` failed, `r` running, `m` missing (never exported, cancelled, or only some tables).
 */
export type DayCode = 'x' | 'e' | 'f' | 'r' | 'm';

/**
 * The day codes of [from, to] for every integration (or those named), from export_year_strip: the
 * ledger's state of each day as one letter per day, a row per integration, table and year, kept by a
 * trigger on export_day_state in the same statement as every change there (migration 1766000000000).
 * So the overview reads a few short rows per integration whatever the number of days, and can never
 * show a day the ledger does not hold.
 */
export async function calendarCodes(
  pool: Pool,
  from: string,
  to: string,
  tables: readonly TableName[],
  integrationIds?: readonly string[],
): Promise<Map<string, string>> {
  // Per integration, each table's letters of [from, to] cut from its year rows (a year without a row
  // is all '-'), run together table after table; the days are coded here.
  const { rows } = await pool.query<{ id: string; letters: string }>(
    `WITH years AS (
       SELECT y, greatest($1::date, make_date(y, 1, 1)) AS lo, least($2::date, make_date(y, 12, 31)) AS hi
       FROM generate_series(extract(year FROM $1::date)::int, extract(year FROM $2::date)::int) AS y
     )
     SELECT i.id,
            string_agg(COALESCE(substr(s.states, years.lo - make_date(years.y, 1, 1) + 1, years.hi - years.lo + 1),
                                repeat('-', years.hi - years.lo + 1)), '' ORDER BY t.n, years.y) AS letters
     FROM integrations i
     CROSS JOIN unnest($3::text[]) WITH ORDINALITY AS t(table_name, n)
     CROSS JOIN years
     LEFT JOIN export_year_strip s ON s.integration_id = i.id AND s.year = years.y AND s.table_name = t.table_name
     ${integrationIds ? 'WHERE i.id = ANY($4::uuid[])' : ''}
     GROUP BY i.id`,
    integrationIds ? [from, to, tables, integrationIds] : [from, to, tables],
  );
  const days = dayCount(from, to);
  return new Map(rows.map((r) => [r.id, dayCodes(days, tables.length, r.letters)]));
}

const [S, Z, N, F, R] = ['s', 'z', 'n', 'f', 'r'].map((c) => c.charCodeAt(0));
const CODE = { x: 0x78, e: 0x65, f: 0x66, r: 0x72, m: 0x6d } as const;

/**
 * The day codes from one integration's letters (`tables` runs of `days` letters, see calendarCodes):
 * `r` if a table's attempt runs, else `f` if one failed, else `m` unless every table succeeded, else
 * `e` when the rows add up to 0 (a succeeded attempt without a count adds nothing), else `x`.
 */
function dayCodes(days: number, tables: number, letters: string): string {
  if (letters.length !== days * tables) throw new Error(`calendar strip of ${letters.length} letters for ${tables} × ${days} days`);
  const out = Buffer.allocUnsafe(days);
  for (let d = 0; d < days; d++) {
    let running = false;
    let failed = false;
    let succeeded = 0;
    let zero = false;
    let nonzero = false;
    for (let k = d; k < letters.length; k += days) {
      switch (letters.charCodeAt(k)) {
        case R:
          running = true;
          break;
        case F:
          failed = true;
          break;
        case S:
          nonzero = true;
          succeeded++;
          break;
        case Z:
          zero = true;
          succeeded++;
          break;
        case N:
          succeeded++;
          break;
      }
    }
    out[d] = running ? CODE.r : failed ? CODE.f : succeeded < tables ? CODE.m : zero && !nonzero ? CODE.e : CODE.x;
  }
  return out.toString('latin1');
}
