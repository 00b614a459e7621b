import type { Pool } from '../db/pool.js';
import type { TableName } from '../export/tables.js';

/**
 * A backfill's progress as the ledger saw it, for when no worker can answer the workflow's progress
 * query. Every attempt a backfill makes is an export_runs row of kind `backfill`, recorded by the
 * activities, so this is durable and needs neither a worker nor the workflow's memory. It counts only
 * attempts started since the backfill began, so an older backfill of the same days is not counted.
 */
export interface LedgerBackfillProgress {
  completedDays: number;
  failedDays: { day: string; error: string }[];
  inProgressDays: string[];
  rows: number;
  bytes: number;
}

export async function backfillProgressFromLedger(
  pool: Pool,
  q: { integrationId: string; from: string; to: string; tables: readonly TableName[]; since: Date },
): Promise<LedgerBackfillProgress> {
  const { rows } = await pool.query<{ day: string; state: 'completed' | 'failed' | 'running' | 'other'; error: string | null; rows: string; bytes: string }>(
    `WITH latest AS (
       SELECT DISTINCT ON (day, table_name) day, table_name, status, rows, bytes, error
       FROM export_runs
       WHERE integration_id = $1 AND day BETWEEN $2 AND $3 AND table_name = ANY($4::text[])
         AND kind = 'backfill' AND started_at >= $5
       ORDER BY day, table_name, id DESC
     )
     SELECT day::text AS day,
       CASE WHEN bool_or(status = 'running') THEN 'running'
            WHEN bool_or(status = 'failed') THEN 'failed'
            WHEN count(*) FILTER (WHERE status = 'succeeded') = cardinality($4::text[]) THEN 'completed'
            ELSE 'other' END AS state,
       string_agg(table_name || ': ' || error, '; ' ORDER BY table_name) FILTER (WHERE status = 'failed') AS error,
       COALESCE(sum(rows) FILTER (WHERE status = 'succeeded'), 0) AS rows,
       COALESCE(sum(bytes) FILTER (WHERE status = 'succeeded'), 0) AS bytes
     FROM latest GROUP BY day ORDER BY day`,
    [q.integrationId, q.from, q.to, q.tables, q.since],
  );
  const out: LedgerBackfillProgress = { completedDays: 0, failedDays: [], inProgressDays: [], rows: 0, bytes: 0 };
  for (const r of rows) {
    out.rows += Number(r.rows);
    out.bytes += Number(r.bytes);
    if (r.state === 'completed') out.completedDays++;
    else if (r.state === 'failed') out.failedDays.push({ day: r.day, error: r.error ?? 'failed' });
    else if (r.state === 'running') out.inProgressDays.push(r.day);
  }
  return out;
}
