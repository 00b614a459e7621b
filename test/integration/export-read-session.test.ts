import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { BEGIN_EXPORT_READ } from '../../src/export/query.js';

/** The transaction the export's COPY runs in, against the real Postgres planner. */
let pool: Pool;
beforeAll(() => {
  pool = createPool(loadEnv().DATABASE_URL, 1);
});
afterAll(async () => {
  await pool?.end();
});

describe('BEGIN_EXPORT_READ', () => {
  it('keeps the query off parallel workers and JIT, and only for its own transaction', async () => {
    const client = await pool.connect();
    const table = `plan_probe_${process.pid}`;
    try {
      // A session whose defaults make any scan parallel and JIT-compiled, like a big table would.
      await client.query(
        'SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET jit = on; SET jit_above_cost = 0',
      );
      // Not a temp table: those are backend-local, so never scanned in parallel anyway.
      await client.query(
        `DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} AS SELECT g AS id, md5(g::text) AS t FROM generate_series(1, 50000) g; ANALYZE ${table}`,
      );
      const plan = async () => JSON.stringify((await client.query(`EXPLAIN (FORMAT JSON) SELECT id, t FROM ${table} WHERE t > '8' ORDER BY t`)).rows[0]);
      const setting = async (name: string) => (await client.query(`SELECT current_setting('${name}') AS v`)).rows[0].v as string;
      expect(await plan()).toMatch(/Gather/);

      await client.query(BEGIN_EXPORT_READ);
      expect(await plan()).not.toMatch(/Gather/);
      expect(await setting('jit')).toBe('off');
      expect(await setting('transaction_read_only')).toBe('on');
      await expect(client.query(`INSERT INTO ${table} VALUES (0, 'x')`)).rejects.toThrow(/read-only transaction/);
      await client.query('ROLLBACK');

      // SET LOCAL ends with the transaction: a pooled connection goes back as it was.
      expect(await plan()).toMatch(/Gather/);
      expect(await setting('jit')).toBe('on');
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      client.release(true);
    }
  });
});
