import type { Pool } from './pool.js';

/**
 * Runs `fn` in one transaction. The repository functions take a Pool but only ever call `query`, which
 * a checked-out client has too, so they run unchanged inside the transaction.
 */
export async function inTransaction<T>(pool: Pool, fn: (db: Pool) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client as unknown as Pool);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
