import net from 'node:net';
import pg from 'pg';
import { reusedBufferSocket } from './reused-buffer-socket.js';

/**
 * Every session runs in UTC with ISO dates: the export's SQL renders timestamps and days as text, and
 * the cursor keeps created_at as Postgres text, so the session settings are part of the file format.
 */
export function createPool(
  connectionString: string,
  max = 10,
  onConnectionLost?: (err: Error) => void,
  connectionTimeoutMillis = 10_000,
  /**
   * false: pg's own sockets. The reused-buffer socket delivers reads only as 'data' events (pg's parser
   * and CopyRows use nothing else); a client that reads the socket through its stream interface
   * instead (pg-copy-streams' COPY TO does) needs pg's own.
   */
  opts: { reusedBufferReads?: boolean } = {},
): pg.Pool {
  const reused = opts.reusedBufferReads ?? true;
  const pool = new pg.Pool({
    connectionString,
    max,
    options: '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601 -c extra_float_digits=3',
    application_name: 'ua-export',
    connectionTimeoutMillis,
    // Plain connections read into one reused buffer per socket, which the COPY reader takes its rows
    // from directly (src/db/reused-buffer-socket.ts). pg calls this with the connection's resolved
    // settings (its typings omit them); TLS keeps pg's own socket, which pg wraps after the SSLRequest.
    stream: (config?: { ssl?: unknown }) => (reused && !config?.ssl ? reusedBufferSocket() : new net.Socket()),
  });
  // A client losing its connection (Postgres restart, pg_terminate_backend) must not crash the process.
  // The pool's own listener covers idle clients only: pg-pool removes it from a client it hands out,
  // so a checked-out client (an export holds one for a whole COPY) whose connection drops between
  // two queries would emit 'error' with no listener, and Node ends the process on that. Every client
  // keeps this listener for its whole life; the query in flight still fails, and its caller retries.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', (err: Error) => onConnectionLost?.(err));
  });
  return pool;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
