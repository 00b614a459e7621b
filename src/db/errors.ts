const PG_UNREACHABLE = /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|the database system is (starting up|shutting down)/i;

/** A Postgres call that failed because the server could not be reached (or is starting or stopping). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 'ECONNREFUSED' || e.code === '57P03' || e.code === '53300') return true;
  return typeof e.message === 'string' && PG_UNREACHABLE.test(e.message);
}
