import type { Pool } from '../../src/db/pool.js';
import type { TableName } from '../../src/export/tables.js';

/**
 * The export calendar's day codes as calendarCodes computed them before issue 11 §4 (a LATERAL per
 * integration joining every day of the range), kept as the oracle the faster query is checked
 * against (test/integration/ledger.test.ts) and the "before" figure of bench/api-scale.ts.
 */
export async function calendarCodesBefore(pool: Pool, from: string, to: string, tables: readonly TableName[]): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ id: string; codes: string }>(
    `SELECT i.id, x.codes
     FROM integrations i
     CROSS JOIN LATERAL (
       SELECT string_agg(COALESCE(c.code, 'm'), '' ORDER BY d.day) AS codes
       FROM generate_series($1::date, $2::date, interval '1 day') AS d(day)
       LEFT JOIN (
         SELECT day,
           CASE WHEN bool_or(status = 'running') THEN 'r'
                WHEN bool_or(status = 'failed') THEN 'f'
                WHEN count(*) FILTER (WHERE status = 'succeeded') < cardinality($3::text[]) THEN 'm'
                WHEN sum(rows) = 0 THEN 'e'
                ELSE 'x' END AS code
         FROM export_day_state s
         WHERE s.integration_id = i.id AND s.day BETWEEN $1 AND $2 AND s.table_name = ANY($3::text[])
         GROUP BY day
       ) c ON c.day = d.day::date
     ) x`,
    [from, to, tables],
  );
  return new Map(rows.map((r) => [r.id, r.codes]));
}
