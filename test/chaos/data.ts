import { eventsForDay, insertEvents, insertMetrics, makeEvent, metricsForDay, rng, type EventRow } from '../../src/dev/generate.js';
import type { Pool } from '../../src/db/pool.js';

/**
 * The chaos data set: one app with a day large enough for many parts at PART_SIZE_MIB=5, a day whose
 * rows come in large blocks sharing one created_at (so ties straddle part boundaries), small days, and
 * a decoy app on the same days whose rows must never appear in a delivered file.
 */
export interface DataSet {
  appId: string;
  decoyAppId: string;
  bigDay: string;
  tiesDay: string;
  smallDays: string[];
  /** The day a schedule fired now exports (yesterday, UTC). */
  scheduledDay: string;
}

export interface DataSize {
  bigRows: number;
  tiesBlocks: number;
  tiesBlockRows: number;
  smallRows: number;
}

// ~670 bytes a row: the full big day is 15+ parts of 5 MiB, the quick one 3–4 (docs/RELIABILITY.md).
export const FULL_SIZE: DataSize = { bigRows: 130_000, tiesBlocks: 4, tiesBlockRows: 4_000, smallRows: 400 };
export const QUICK_SIZE: DataSize = { bigRows: 26_000, tiesBlocks: 2, tiesBlockRows: 4_000, smallRows: 200 };

function yesterdayUtc(): string {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

function* tiedEvents(appId: string, day: string, blocks: number, blockRows: number, seed: number): Generator<EventRow> {
  const r = rng(seed);
  for (let b = 0; b < blocks; b++) {
    // Every row of a block on the same microsecond; blocks a microsecond apart at the edges.
    const micros = 3_600_000_000 * (b + 1) + b;
    for (let i = 0; i < blockRows; i++) yield makeEvent(r, appId, day, micros);
  }
}

export async function seedData(pool: Pool, size: DataSize, ids: { appId: string; decoyAppId: string }): Promise<DataSet> {
  const ds: DataSet = {
    ...ids,
    bigDay: '2026-03-10',
    tiesDay: '2026-03-11',
    smallDays: ['2026-03-12', '2026-03-13', '2026-03-14'],
    scheduledDay: yesterdayUtc(),
  };
  const { rows } = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM ua_events WHERE app_id = $1', [ds.appId]);
  if (Number(rows[0]!.n) > 0) return ds;
  await insertEvents(pool, eventsForDay(ds.appId, ds.bigDay, size.bigRows, 11));
  await insertEvents(pool, tiedEvents(ds.appId, ds.tiesDay, size.tiesBlocks, size.tiesBlockRows, 12));
  const small = [...ds.smallDays, ds.scheduledDay];
  for (const [i, day] of small.entries()) await insertEvents(pool, eventsForDay(ds.appId, day, size.smallRows, 20 + i));
  for (const [i, day] of [ds.bigDay, ds.tiesDay, ...small].entries()) {
    await insertMetrics(pool, metricsForDay(ds.appId, day, 12, 40 + i));
    await insertEvents(pool, eventsForDay(ds.decoyAppId, day, 1_500, 60 + i));
    await insertMetrics(pool, metricsForDay(ds.decoyAppId, day, 6, 80 + i));
  }
  return ds;
}
