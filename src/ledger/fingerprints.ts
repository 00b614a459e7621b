import type { Pool } from '../db/pool.js';
import type { TableName } from '../export/tables.js';
import type { RunIdentity } from './export-runs.js';

/** The source fingerprint each attempt saw when it started reading, and what the lookback compares with. */

export async function recordSourceFingerprint(pool: Pool, run: RunIdentity, fingerprint: string): Promise<void> {
  await pool.query(`UPDATE export_runs SET source_fingerprint = $4 WHERE workflow_id = $1 AND run_id = $2 AND table_name = $3`, [
    run.workflowId,
    run.runId,
    run.table,
    fingerprint,
  ]);
}

export async function runSourceFingerprint(pool: Pool, run: RunIdentity): Promise<string | null> {
  const { rows } = await pool.query<{ source_fingerprint: string | null }>(
    `SELECT source_fingerprint FROM export_runs WHERE workflow_id = $1 AND run_id = $2 AND table_name = $3`,
    [run.workflowId, run.runId, run.table],
  );
  return rows[0]?.source_fingerprint ?? null;
}

export interface DeliveredDay {
  day: string;
  table: TableName;
  rows: number;
  fingerprint: string;
}

/**
 * The delivery that stands for each day and table in [from, to]: the day's state when it is a
 * success with a recorded fingerprint. Days failed, running or exported before fingerprints were
 * recorded are left out: the lookback has nothing to compare them with.
 */
export async function deliveredFingerprints(pool: Pool, integrationId: string, from: string, to: string): Promise<DeliveredDay[]> {
  const { rows } = await pool.query<{ day: string; table_name: TableName; rows: string; source_fingerprint: string }>(
    `SELECT s.day::text AS day, s.table_name, r.rows, r.source_fingerprint
     FROM export_day_state s JOIN export_runs r ON r.id = s.run_row_id
     WHERE s.integration_id = $1 AND s.day BETWEEN $2 AND $3 AND s.status = 'succeeded' AND r.source_fingerprint IS NOT NULL
     ORDER BY s.day, s.table_name`,
    [integrationId, from, to],
  );
  return rows.map((r) => ({ day: r.day, table: r.table_name, rows: Number(r.rows), fingerprint: r.source_fingerprint }));
}
