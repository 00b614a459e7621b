import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { isReusedBufferSocket } from '../../src/db/reused-buffer-socket.js';
import { CopyRows, type RowBatch } from '../../src/export/copy-rows.js';
import { batchRows } from '../helpers/copy-protocol.js';

/**
 * CopyRows against the real Postgres: row framing from the protocol, backpressure and errors. Twice:
 * on createPool's connections (plain TCP here: reused-buffer sockets, the frame reader), and on pg's
 * own sockets (what a TLS connection keeps: pg's parser hands the rows over).
 */
let framed: Pool;
let pgParsed: pg.Pool;
let pool: pg.Pool;
let expectReusedBuffer = true;
beforeAll(() => {
  framed = createPool(loadEnv().DATABASE_URL, 2);
  pgParsed = new pg.Pool({ connectionString: loadEnv().DATABASE_URL, max: 2 });
});
afterAll(async () => {
  await framed?.end();
  await pgParsed?.end();
});

/** Runs `copy` on a client of its own and collects what it yields; `each` runs after every batch. */
async function collect(copy: CopyRows, each?: (batch: RowBatch) => Promise<void>): Promise<{ rows: string[]; batches: number }> {
  const client = await pool.connect();
  try {
    expect(isReusedBufferSocket((client as unknown as { connection: { stream: unknown } }).connection.stream)).toBe(expectReusedBuffer);
    client.query(copy);
    const rows: string[] = [];
    let batches = 0;
    for await (const batch of copy) {
      batches++;
      rows.push(...batchRows(batch));
      await each?.(batch);
    }
    client.release();
    return { rows, batches };
  } catch (err) {
    client.release(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}

describe.each([
  { sockets: "createPool's (reused buffer, the frame reader)", reused: true },
  { sockets: "pg's own (pg's parser)", reused: false },
])('CopyRows on $sockets sockets', ({ reused }) => {
  beforeEach(() => {
    pool = reused ? framed : pgParsed;
    expectReusedBuffer = reused;
  });

  it('yields each CSV record as one row, whatever its quoting, with the COPY row count', async () => {
    const copy = new CopyRows(
      `COPY (SELECT * FROM (VALUES (1, 'plain'), (2, E'multi\\nline, "quoted"\\r\\n'), (3, NULL), (4, ''), (5, '🚀,é')) v(id, t) ORDER BY id) TO STDOUT (FORMAT csv)`,
    );
    expect(copy.rowCount).toBeNull();
    const { rows } = await collect(copy);
    expect(rows).toEqual(['1,plain\n', '2,"multi\nline, ""quoted""\r\n"\n', '3,\n', '4,""\n', '5,"🚀,é"\n']);
    expect(copy.rowCount).toBe(5);
  });

  it('an empty result yields no rows and a count of 0', async () => {
    const copy = new CopyRows('COPY (SELECT 1 WHERE false) TO STDOUT (FORMAT csv)');
    expect((await collect(copy)).rows).toEqual([]);
    expect(copy.rowCount).toBe(0);
  });

  it('pauses the socket while a slow consumer is behind, and still delivers every row in order', async () => {
    const highWater = 4;
    const n = 60_000;
    const copy = new CopyRows(`COPY (SELECT g, repeat('x', 200) FROM generate_series(1, ${n}) g ORDER BY g) TO STDOUT (FORMAT csv)`, highWater);
    let maxWaiting = 0;
    const { rows, batches } = await collect(copy, async () => {
      maxWaiting = Math.max(maxWaiting, copy.waitingBatches);
      await new Promise((r) => setTimeout(r, 1));
    });
    // ~12 MB of rows arrive in hundreds of socket reads; without the pause they would all queue up.
    expect(batches).toBeGreaterThan(highWater * 10);
    expect(maxWaiting).toBeGreaterThan(0);
    // The socket read that reached the mark may add two more: the row it completes, and its whole rows.
    expect(maxWaiting).toBeLessThanOrEqual(highWater + 2);
    expect(rows).toHaveLength(n);
    expect(rows.every((r, i) => r === `${i + 1},${'x'.repeat(200)}\n`)).toBe(true);
    expect(copy.rowCount).toBe(n);
  });

  it('leaves the connection flowing for the next statement, though it pauses the socket while reading', async () => {
    const client = await pool.connect();
    try {
      const socket = (client as unknown as { connection: { stream: { isPaused(): boolean } } }).connection.stream;
      const copy = new CopyRows(`COPY (SELECT g, repeat('y', 100) FROM generate_series(1, 100000) g) TO STDOUT (FORMAT csv)`);
      client.query(copy);
      let rows = 0;
      let sawPaused = false;
      for await (const batch of copy) {
        // Behind for a moment on the first batch, so the reader's queue fills and the socket pauses
        // whatever the machine's timing (a consumer that keeps up may never see it paused).
        if (rows === 0) await new Promise((r) => setTimeout(r, 500));
        rows += batch.ends.length;
        sawPaused ||= socket.isPaused();
      }
      expect(rows).toBe(100_000);
      expect(sawPaused).toBe(true);
      expect(socket.isPaused()).toBe(false);
      expect((await client.query('SELECT 41 + 1 AS v')).rows[0].v).toBe(42);
    } finally {
      client.release();
    }
  });

  it('passes a notice mid-stream to pg and still delivers every row in order', async () => {
    const client = await pool.connect();
    try {
      await client.query(
        `CREATE FUNCTION pg_temp.noisy(g int) RETURNS int AS $$ BEGIN IF g % 1000 = 0 THEN RAISE NOTICE 'at %', g; END IF; RETURN g; END $$ LANGUAGE plpgsql`,
      );
      const notices: string[] = [];
      client.on('notice', (n) => notices.push(n.message ?? ''));
      const copy = new CopyRows(`COPY (SELECT pg_temp.noisy(g), repeat('z', 50) FROM generate_series(1, 5000) g ORDER BY g) TO STDOUT (FORMAT csv)`);
      client.query(copy);
      const rows: string[] = [];
      for await (const batch of copy) rows.push(...batchRows(batch));
      expect(rows).toEqual(Array.from({ length: 5000 }, (_, i) => `${i + 1},${'z'.repeat(50)}\n`));
      expect(copy.rowCount).toBe(5000);
      expect(notices).toContain('at 1000');
      expect((await client.query('SELECT 1 AS v')).rows[0].v).toBe(1);
    } finally {
      client.release(true);
    }
  });

  it('throws the server error that stops a COPY midway, after the rows before it', async () => {
    const copy = new CopyRows('COPY (SELECT CASE WHEN g = 40000 THEN g / 0 ELSE g END FROM generate_series(1, 80000) g) TO STDOUT (FORMAT csv)');
    let seen = 0;
    await expect(collect(copy, async (batch) => void (seen += batch.ends.length))).rejects.toThrow(/division by zero/);
    expect(seen).toBeLessThan(40_000);
  });

  it('abort() makes the consumer throw the reason', async () => {
    const copy = new CopyRows(`COPY (SELECT g FROM generate_series(1, 200000) g) TO STDOUT (FORMAT csv)`);
    let seen = 0;
    await expect(
      collect(copy, async (batch) => {
        seen += batch.ends.length;
        if (seen > 1000) copy.abort(new Error('activity cancelled'));
      }),
    ).rejects.toThrow('activity cancelled');
    expect(seen).toBeLessThan(200_000);
  });

  it('fails a statement that is not a COPY TO STDOUT', async () => {
    expect(() => new CopyRows('SELECT 1')).toThrow(/COPY … TO STDOUT/);
    expect(() => new CopyRows('COPY t FROM STDIN')).toThrow(/COPY … TO STDOUT/);
    expect(() => new CopyRows('COPY (SELECT 1) TO STDOUT', 0)).toThrow(/highWater/);
    // Passes the guard, but the server runs two statements: the SELECT's rows are refused.
    await expect(collect(new CopyRows('COPY (SELECT 1) TO STDOUT; SELECT 2'))).rejects.toThrow(/returned rows instead of a COPY stream/);
  });
});
