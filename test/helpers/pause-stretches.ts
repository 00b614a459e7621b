import type { Pool } from '../../src/db/pool.js';

/** An integration's recorded pause stretches, oldest first: each one's note and whether it is still open. */
export async function pauseStretches(pool: Pool, integrationId: string): Promise<{ note: string; open: boolean }[]> {
  const { rows } = await pool.query<{ note: string; open: boolean }>(
    `SELECT note, resumed_at IS NULL AS open FROM schedule_pauses WHERE integration_id = $1 ORDER BY paused_at`,
    [integrationId],
  );
  return rows;
}
