/**
 * A read that must see exactly the rows the export's COPY reads (the lookback's fingerprint of the
 * delivered file), taken in the COPY's own snapshot rather than before or after it: a row committed
 * while the file streams is then in neither, so the fingerprint describes the file and the next
 * lookback notices the row.
 *
 * Two ways to share the snapshot, chosen by the caller:
 *  - `concurrent`: the read transaction exports its snapshot (pg_export_snapshot()) and a second
 *    connection imports it (SET TRANSACTION SNAPSHOT) and runs the read while the COPY streams, so it
 *    costs the file no time. Taken only when the pool has a connection to spare: an export must never
 *    wait for a second one while holding its first, or a full pool of exports would starve itself.
 *    Without one it falls back to `after`.
 *  - `after`: the read runs on the read connection once the COPY has finished, before COMMIT. The
 *    transaction is REPEATABLE READ (BEGIN_EXPORT_READ), so it is the same snapshot. Serial, but for a
 *    file of at most one part it is cheaper than a second connection, and a file that turns out larger
 *    (the single-request path gives up on it) never pays for a read it would throw away.
 */

/** What the read is given: a connection inside the export's snapshot. */
export interface SnapshotDb {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface SameSnapshotRead {
  mode: 'concurrent' | 'after';
  /** The read itself. Its failure never fails the export: it goes to `failed`. */
  run(db: SnapshotDb): Promise<void>;
  failed(err: Error): void;
}

/** The pool's side of a concurrent read: a second connection, if one is free right now. */
export interface SnapshotPool {
  connect(): Promise<SnapshotDb & { release(err?: Error | boolean): void }>;
  readonly totalCount?: number;
  readonly idleCount?: number;
  readonly waitingCount?: number;
  readonly options?: { max?: number };
}

/** True when a connection can be had without waiting (an idle one, or room to open one). Pools that do not say are taken to have room. */
export function hasSpareConnection(pool: SnapshotPool): boolean {
  const max = pool.options?.max;
  if (pool.totalCount === undefined || pool.idleCount === undefined || max === undefined) return true;
  if ((pool.waitingCount ?? 0) > 0) return false;
  return pool.idleCount > 0 || pool.totalCount < max;
}

const SNAPSHOT_ID = /^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$/i;

/** Exports the read transaction's snapshot; the transaction must have run no query yet, or it exports a later one. */
export async function exportSnapshot(db: SnapshotDb): Promise<string> {
  const res = (await db.query('SELECT pg_export_snapshot() AS id')) as { rows?: { id?: unknown }[] };
  const id = res.rows?.[0]?.id;
  if (typeof id !== 'string' || !SNAPSHOT_ID.test(id)) throw new Error(`pg_export_snapshot() returned an unexpected id: ${JSON.stringify(id)}`);
  return id;
}

/**
 * Runs `read` on a second connection inside the exported snapshot `id`. The exporting transaction
 * must stay open until this has imported it: the caller awaits the returned promise before its COMMIT.
 * Never rejects: a failure (no connection, snapshot gone, the read's own) goes to `read.failed`.
 */
export async function readInSnapshot(pool: SnapshotPool, id: string, read: SameSnapshotRead): Promise<void> {
  let db: Awaited<ReturnType<SnapshotPool['connect']>> | null = null;
  try {
    db = await pool.connect();
    // As the export's own read: no parallel workers or JIT taking cores from the export it runs beside.
    await db.query(
      `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '${id}'; ` +
        'SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off',
    );
    await read.run(db);
    await db.query('COMMIT');
    db.release();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    db?.release(e);
    read.failed(e);
  }
}
