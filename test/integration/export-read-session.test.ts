import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { eventsForDay, insertEvents } from '../../src/dev/generate.js';
import { exportTableDay } from '../../src/export/export-table-day.js';
import { BEGIN_EXPORT_READ } from '../../src/export/query.js';
import { normalizeSettings } from '../../src/export/settings.js';
import { migrate } from '../../src/db/migrate.js';
import { dropDatabaseForce } from '../helpers/harness.js';

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

describe('a server that times out long statements and idle transactions', () => {
  // A dedicated database carries the DBA's defaults, so no other test's sessions see them.
  const dbName = `ua_export_slow_${process.pid}`;
  const day = '2026-04-02';
  const appId = randomUUID();
  let serverUrl: URL;
  let slow: Pool;
  let reference: Buffer;

  const exportVia = async (pool: Pool, partDelayMs: number) => {
    const bodies: Buffer[] = [];
    const started = Date.now();
    await exportTableDay({
      pool,
      table: 'ua_events',
      day,
      integration: { appId, settings: normalizeSettings({}), historicalCutoff: '2000-01-01T00:00:00Z' },
      partSize: 256 * 1024,
      maxInFlight: 1,
      resume: null,
      uploadPart: async (partNumber, body) => {
        await new Promise((r) => setTimeout(r, partDelayMs));
        bodies[partNumber - 1] = Buffer.from(body);
        return `"etag-${partNumber}"`;
      },
      onCheckpoint: () => undefined,
    });
    return { bytes: Buffer.concat(bodies), ms: Date.now() - started, parts: bodies.length };
  };

  const withServer = async <T>(fn: (p: Pool) => Promise<T>): Promise<T> => {
    const p = createPool(serverUrl.toString(), 1);
    try {
      return await fn(p);
    } finally {
      await p.end();
    }
  };

  beforeAll(async () => {
    serverUrl = new URL(loadEnv().DATABASE_URL);
    await withServer((p) => dropDatabaseForce(p, dbName).then(() => p.query(`CREATE DATABASE ${dbName}`)));
    const url = new URL(serverUrl);
    url.pathname = `/${dbName}`;
    await migrate(url.toString());
    const setup = createPool(url.toString(), 1);
    try {
      // Enough rows that the COPY outlives the timeout behind a slow consumer, not just the socket buffers.
      await insertEvents(setup, eventsForDay(appId, day, 20_000, 7));
      // The same export under the server's stock settings: the bytes the slow one must match.
      reference = (await exportVia(setup, 0)).bytes;
    } finally {
      await setup.end();
    }
    await withServer((p) =>
      p
        .query(`ALTER DATABASE ${dbName} SET statement_timeout = '1s'`)
        .then(() => p.query(`ALTER DATABASE ${dbName} SET idle_in_transaction_session_timeout = '1s'`)),
    );
    slow = createPool(url.toString(), 1);
  });
  afterAll(async () => {
    await slow?.end();
    if (serverUrl) await withServer((p) => dropDatabaseForce(p, dbName));
  });

  it('the database really kills a statement after 1 s (the control)', async () => {
    await expect(slow.query('SELECT pg_sleep(1.5)')).rejects.toThrow(/statement timeout/);
  });

  it('a COPY held open by a slow consumer far longer than that completes with the same bytes', async () => {
    expect(reference.length).toBeGreaterThan(20 * 256 * 1024);
    const held = await exportVia(slow, 120);
    // Held open for several times the timeouts, and idle after the last row while the final parts upload.
    expect(held.ms).toBeGreaterThan(3_000);
    expect(held.bytes.equals(reference)).toBe(true);
  });
});
