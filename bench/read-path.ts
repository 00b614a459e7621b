import { parseArgs } from 'node:util';
import { loadEnv } from '../src/config/env.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { batchBytes } from '../src/export/copy-out-frames.js';
import { CopyRows } from '../src/export/copy-rows.js';
import { BEGIN_EXPORT_READ, buildCopy } from '../src/export/query.js';
import { normalizeSettings } from '../src/export/settings.js';
import { benchAppId, countAppDay, ensureBenchDatabase } from './setup.js';

/**
 * The export's read path alone: the big day's COPY read through CopyRows in this process, counting
 * bytes, on createPool's sockets (plain TCP: reads into a reused buffer, the frame reader) and on pg's
 * own sockets (what a TLS connection keeps: pg's parser hands each row over), alternating, with this
 * process's CPU per read and the ratio between the two in the same run.
 *
 *   npm run bench:read-path -- [--rows 1000000] [--trials 3]
 * (the main benchmark must have generated the app-day: npm run bench -- --rows N)
 */
const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    day: { type: 'string', default: '2025-03-14' },
    trials: { type: 'string', default: '3' },
  },
});
const rows = Number(opts.rows);
const trials = Number(opts.trials);

interface Run {
  user: number;
  system: number;
  wall: number;
  bytes: number;
}

async function readOnce(pool: Pool, sql: string): Promise<Run> {
  const client = await pool.connect();
  try {
    await client.query(BEGIN_EXPORT_READ);
    const copy = new CopyRows(sql);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    client.query(copy);
    let bytes = 0;
    for await (const b of copy) bytes += batchBytes(b);
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - t0) / 1000;
    await client.query('COMMIT');
    return { user: cpu.user / 1e6, system: cpu.system / 1e6, wall, bytes };
  } finally {
    client.release();
  }
}

async function main() {
  const url = await ensureBenchDatabase(loadEnv());
  const reused = createPool(url, 1);
  const pgSockets = createPool(url, 1, undefined, undefined, { reusedBufferReads: false });
  try {
    const appId = benchAppId(rows);
    const have = await countAppDay(reused, appId, opts.day);
    if (have !== rows) throw new Error(`app-day ${appId} ${opts.day} holds ${have} rows, not ${rows}: run npm run bench -- --rows ${rows} first`);
    const sql = buildCopy({
      table: 'ua_events',
      appId,
      day: opts.day,
      settings: normalizeSettings({ includeEventsWithoutProfile: true }),
      historicalCutoff: '2000-01-01T00:00:00Z',
      after: null,
    });
    const kinds = [
      { name: 'reused-buffer sockets (createPool, plain TCP)', pool: reused },
      { name: "pg's own sockets (pg's parser; as with TLS)", pool: pgSockets },
    ];
    const runs = new Map<string, Run[]>(kinds.map((k) => [k.name, []]));
    for (let t = 1; t <= trials; t++) {
      for (const k of kinds) {
        const r = await readOnce(k.pool, sql);
        runs.get(k.name)!.push(r);
        console.log(
          `trial ${t}, ${k.name}: ${r.user.toFixed(2)} user + ${r.system.toFixed(2)} system core-s, ${r.wall.toFixed(2)} s wall, ${(r.bytes / 1e6).toFixed(1)} MB`,
        );
      }
    }
    // The first trial warms the JIT: the summary is the best of the rest (or the only one).
    const best = (rs: Run[]) => rs.slice(rs.length > 1 ? 1 : 0).reduce((a, b) => (a.user + a.system <= b.user + b.system ? a : b));
    const [a, b] = kinds.map((k) => best(runs.get(k.name)!));
    const per1M = (r: Run) => ((r.user + r.system) * 1e6) / rows;
    console.log(`\nread path, ${rows.toLocaleString('en-US')} rows, best warm trial, this process's CPU per 1M rows:`);
    for (const [k, r] of [
      [kinds[0]!, a!],
      [kinds[1]!, b!],
    ] as const)
      console.log(`  ${k.name}: ${per1M(r).toFixed(2)} core-s (${r.user.toFixed(2)} user + ${r.system.toFixed(2)} system), ${r.wall.toFixed(2)} s wall`);
    console.log(`  ratio: ${(per1M(a!) / per1M(b!)).toFixed(2)}× the CPU of pg's own sockets`);
  } finally {
    await reused.end();
    await pgSockets.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
