import pg from 'pg';

/**
 * Every session runs in UTC with ISO dates: the export's SQL renders timestamps and days as text, and
 * the cursor keeps created_at as Postgres text, so the session settings are part of the file format.
 */
export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    options: '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601 -c extra_float_digits=3',
    application_name: 'ua-export',
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection (Postgres restart) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
