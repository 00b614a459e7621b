import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay, rng } from '../../src/dev/generate.js';
import { exportTableDay } from '../../src/export/export-table-day.js';
import { BEGIN_EXPORT_READ, buildSelect } from '../../src/export/query.js';
import { normalizeSettings } from '../../src/export/settings.js';
import { migrate } from '../../src/db/migrate.js';
import { dropDatabaseForce } from '../helpers/harness.js';

/** The transaction the export's COPY runs in, against the real Postgres planner. */
let pool: Pool;

/** A fresh database of the export's own schema on the test server (dropped by `drop`). */
async function ownDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = createPool(loadEnv().DATABASE_URL, 1);
  try {
    await dropDatabaseForce(admin, name);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(loadEnv().DATABASE_URL);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return {
    url: url.toString(),
    drop: async () => {
      const a = createPool(loadEnv().DATABASE_URL, 1);
      await dropDatabaseForce(a, name).finally(() => a.end());
    },
  };
}
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

describe("BEGIN_EXPORT_READ and the day's order", () => {
  // A sort priced as one in memory and index fetches as a slow disk's: the planner's own reasons to
  // prefer a scan plus a sort, as it does under stock costs with some ANALYZE samples
  // (docs/BENCHMARKS.md, "The read's plan"). No parallel plans, so the control differs from the
  // export's transaction only in what decides the order.
  const SORT_FAVOURED = "SET work_mem = '256MB'; SET random_page_cost = 10; SET max_parallel_workers_per_gather = 0";
  const nodes = (plan: unknown): string[] => {
    const out: string[] = [];
    const walk = (n: { 'Node Type': string; Plans?: unknown[] }) => {
      out.push(n['Node Type']);
      for (const c of n.Plans ?? []) walk(c as typeof n);
    };
    walk((plan as [{ Plan: { 'Node Type': string } }])[0].Plan);
    return out;
  };

  /**
   * The control first: outside the export's transaction the planner sorts `select`'s rows. Inside it
   * they come from an index in order, and after it (SET LOCAL ends with the transaction) sorted again.
   */
  const expectIndexOrderOnlyInExport = async (client: { query(text: string): Promise<{ rows: Record<string, unknown>[] }> }, select: string) => {
    const plan = async () => nodes((await client.query(`EXPLAIN (FORMAT JSON) ${select}`)).rows[0]!['QUERY PLAN']);
    expect(await plan()).toContain('Sort');
    await client.query(BEGIN_EXPORT_READ);
    const inExport = await plan();
    expect(inExport).not.toContain('Sort');
    expect(inExport).toContain('Index Scan');
    await client.query('ROLLBACK');
    expect(await plan()).toContain('Sort');
  };

  it('walks the ordered index instead of sorting the day, where a sort looks cheaper', async () => {
    const client = await pool.connect();
    const table = `order_probe_${process.pid}`;
    try {
      await client.query(SORT_FAVOURED);
      await client.query(
        `DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (app_id uuid, created_at timestamptz, id bigint, payload text); ` +
          `INSERT INTO ${table} SELECT '00000000-0000-4000-8000-000000000001', timestamptz '2026-04-02' + g * interval '1 second', g, md5(g::text) ` +
          `FROM generate_series(1, 50000) g; CREATE INDEX ON ${table} (app_id, created_at, id); ANALYZE ${table}`,
      );
      await expectIndexOrderOnlyInExport(
        client,
        `SELECT id, payload FROM ${table} WHERE app_id = '00000000-0000-4000-8000-000000000001' ` +
          `AND created_at >= '2026-04-02' AND created_at < '2026-04-03' ORDER BY created_at, id`,
      );
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      client.release(true);
    }
  });

  describe("on the export's own tables, holding a day", () => {
    const appId = randomUUID();
    const day = '2026-04-02';
    let db: Awaited<ReturnType<typeof ownDatabase>> | null = null;
    let own: Pool;
    beforeAll(async () => {
      db = await ownDatabase(`ua_export_order_${process.pid}`);
      own = createPool(db.url, 1);
      // Stored out of time order, as rows of many apps arriving late and interleaved are: the heap no
      // longer follows the index, which is when a bitmap scan plus a sort looks cheaper.
      const r = rng(5);
      const events = [...eventsForDay(appId, day, 20_000, 3)];
      for (let i = events.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [events[i], events[j]] = [events[j]!, events[i]!];
      }
      await insertEvents(own, events);
      await insertMetrics(own, metricsForDay(appId, day, 200, 3));
      await own.query('ANALYZE ua_events; ANALYZE campaign_metrics');
    });
    afterAll(async () => {
      await own?.end();
      await db?.drop();
    });

    it.each(['ua_events', 'campaign_metrics'] as const)('reads %s in its index order, never through a sort', async (table) => {
      const client = await own.connect();
      const select = buildSelect({
        table,
        appId,
        day,
        settings: normalizeSettings({}),
        historicalCutoff: '2000-01-01T00:00:00Z',
        after: null,
      });
      try {
        await client.query(SORT_FAVOURED);
        await expectIndexOrderOnlyInExport(client, select);
      } finally {
        client.release(true);
      }
    });
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
  let db: Awaited<ReturnType<typeof ownDatabase>> | null = null;

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
    db = await ownDatabase(dbName);
    const url = db.url;
    const setup = createPool(url, 1);
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
    slow = createPool(url, 1);
  });
  afterAll(async () => {
    await slow?.end();
    await db?.drop();
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
