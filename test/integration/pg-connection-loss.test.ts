import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { testDatabaseUrl } from '../helpers/harness.js';

/**
 * A Postgres restart or a terminated backend while a client is checked out of the pool (as an export
 * holds one through its COPY) used to emit an unhandled 'error' on that client and kill the worker.
 */
describe('a pooled connection that Postgres drops', () => {
  let pool: Pool;
  let admin: pg.Client;
  const lost: Error[] = [];

  beforeAll(async () => {
    const url = testDatabaseUrl(loadEnv());
    pool = createPool(url, 2, (err) => lost.push(err));
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await pool?.end();
  });

  it('is reported, not thrown, while checked out between two queries; the pool then serves a fresh connection', async () => {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]!.pid;
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));

    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await ended;
    // The 'error' is emitted right after 'end'; without a listener Node would have thrown it here.
    await new Promise((r) => setTimeout(r, 50));
    expect(lost.map((e) => e.message)).toContainEqual(expect.stringMatching(/terminat/i));
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release(lost[0]);

    const again = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(again.rows[0]!.one).toBe(1);
  });

  it('fails the query in flight with an error the caller sees, and still reports nothing unhandled', async () => {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // The expectation is attached before the kill: the rejection may land before the admin's answer does.
    const failed = expect(client.query('SELECT pg_sleep(30)')).rejects.toThrow(/terminat/i);
    await new Promise((r) => setTimeout(r, 200));
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await failed;
    client.release(true);
    const again = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(again.rows[0]!.one).toBe(1);
  });
});
