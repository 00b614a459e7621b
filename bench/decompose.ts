import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CreateMultipartUploadCommand, AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { loadEnv } from '../src/config/env.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { batchBytes } from '../src/export/copy-out-frames.js';
import { CopyRows } from '../src/export/copy-rows.js';
import { csvHeader } from '../src/export/csv.js';
import { PartAssembler, START_CURSOR, eventKey } from '../src/export/part-assembler.js';
import { BEGIN_EXPORT_READ, buildCopy, keyColumnCount } from '../src/export/query.js';
import { normalizeSettings } from '../src/export/settings.js';
import { streamParts, type Checkpoint } from '../src/export/stream-parts.js';
import { columnNames } from '../src/export/tables.js';
import { uploadPart } from '../src/s3/multipart.js';
import type { PartChecksum } from '../src/s3/part-checksum.js';
import { CpuGroups, postgresGroup } from './proc.js';
import { BENCH_BUCKET, BENCH_DB, adminS3, benchAppId, countAppDay, ensureBenchDatabase, ensureBucket } from './setup.js';

/**
 * Where the export's time goes, stage by stage, in one process (this one), on the app-day the main
 * benchmark generated. Each stage adds one piece of what uploadParts does:
 *
 *   copy            COPY … TO STDOUT read with CopyRows, counting bytes (in the export's read session)
 *   parts           + key stripping / PartAssembler with its per-part checksum (streamParts with an
 *                   upload that does nothing), no whole-file sha256; once per --checksums entry
 *   parts+sha256    + the whole-file sha256 streamParts keeps: all the hashing of the real path, without
 *                   HTTP (the SDK signs UploadPart headers only, so it hashes no body)
 *   assemble        PartAssembler alone, with no Postgres: 665 MB (a 1M-row file) of one 256 KiB chunk
 *                   written, hashed per part (each --checksums entry) and whole (sha256), cut into
 *                   parts: the copy and hashing floor of the real path, without the noise of the COPY
 *   s3-only         16 MiB parts of random bytes through uploadPart() to the local S3, no Postgres
 *   full            COPY → streamParts → uploadPart() to the local S3: what the activity does
 *
 *   npx tsx bench/decompose.ts --rows 1000000 [--stages copy,parts,…] [--in-flight 2,4] [--checksums md5,sha256,crc32]
 * (after `eval "$(bash scripts/services.sh env)"`; the main benchmark must have generated the rows)
 */
const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    day: { type: 'string', default: '2025-03-14' },
    stages: { type: 'string', default: 'copy,parts,parts+sha256,s3-only,full' },
    'in-flight': { type: 'string', default: '2' },
    'part-size-mib': { type: 'string', default: '16' },
    repeat: { type: 'string', default: '2' },
    checksums: { type: 'string', default: 'crc32' },
  },
});
const checksums = opts.checksums.split(',').map((c) => {
  if (c !== 'md5' && c !== 'sha256' && c !== 'crc32') throw new Error(`--checksums: ${c} is not md5, sha256 or crc32`);
  return c;
});
const rows = Number(opts.rows);
const day = opts.day;
const partSize = Number(opts['part-size-mib']) * 2 ** 20;
const inFlights = opts['in-flight'].split(',').map(Number);
const repeat = Number(opts.repeat);
const MB = 1e6;

const groupOf = (pid: number, comm: string) => {
  if (pid === process.pid) return 'this process';
  if (comm === 'weed') return 'seaweedfs';
  if (comm !== 'postgres') return 'other';
  const g = postgresGroup(pid, BENCH_DB);
  return g === 'postgres' ? 'postgres' : g.startsWith('other') ? 'other' : 'postgres (background)';
};

interface StageResult {
  stage: string;
  ms: number;
  bytes: number;
  cpu: { group: string; seconds: number }[];
  mainThreadCpuS: number;
}

async function measure(stage: string, fn: () => Promise<number>): Promise<StageResult> {
  const cpu = new CpuGroups(groupOf);
  const u0 = process.cpuUsage();
  cpu.start(250);
  const t0 = performance.now();
  const bytes = await fn();
  const ms = performance.now() - t0;
  cpu.stop();
  const u = process.cpuUsage(u0);
  return { stage, ms, bytes, cpu: cpu.seconds(), mainThreadCpuS: (u.user + u.system) / 1e6 };
}

async function main() {
  const env = loadEnv();
  const url = await ensureBenchDatabase(env);
  const pool = createPool(url, 2);
  const s3 = adminS3(env);
  await ensureBucket(s3, BENCH_BUCKET);
  const appId = benchAppId(rows);
  const have = await countAppDay(pool, appId, day);
  if (have !== rows) throw new Error(`app-day ${appId} ${day} holds ${have} rows, not ${rows}: run npm run bench -- --rows ${rows} first`);
  const settings = normalizeSettings({ includeEventsWithoutProfile: true });
  const sql = buildCopy({ table: 'ua_events', appId, day, settings, historicalCutoff: '2000-01-01T00:00:00Z', after: null });
  const header = csvHeader(columnNames('ua_events', false));
  const key = `bench/decompose/${Date.now()}.csv`;

  const withCopy = async <T>(p: Pool, f: (source: CopyRows) => Promise<T>): Promise<T> => {
    const client = await p.connect();
    try {
      await client.query(BEGIN_EXPORT_READ);
      const source = new CopyRows(sql);
      client.query(source);
      const out = await f(source);
      await client.query('COMMIT');
      client.release();
      return out;
    } catch (err) {
      client.release(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  };
  // A checkpoint at the very start: streamParts then emits the header but keeps no whole-file hash.
  const noHash: Checkpoint = { parts: [], next: { rows: 0, after: null, skip: 0 }, bytes: 0, continuousHash: false };
  const frame = (source: CopyRows, upload: (n: number, body: Buffer) => Promise<string>, hash: boolean, maxInFlight = 2, checksum: PartChecksum = 'md5') =>
    streamParts({
      checksum,
      source,
      keyColumns: keyColumnCount('ua_events'),
      keyOf: eventKey,
      header,
      partSize,
      resume: hash ? null : noHash,
      uploadPart: upload,
      onCheckpoint: () => undefined,
      maxInFlight,
    });

  const stages: Record<string, (inFlight: number, checksum: PartChecksum) => Promise<number>> = {
    copy: () =>
      withCopy(pool, async (source) => {
        let bytes = 0;
        for await (const batch of source) bytes += batchBytes(batch);
        return bytes;
      }),
    parts: (_, checksum) => withCopy(pool, async (source) => (await frame(source, async () => 'etag', false, 2, checksum)).bytes),
    'parts+sha256': (_, checksum) => withCopy(pool, async (source) => (await frame(source, async () => 'etag', true, 2, checksum)).bytes),
    assemble: async (_, checksum) => {
      const chunk = Buffer.alloc(256 * 1024, 0x61);
      const total = 665 * MB;
      const buffers = [Buffer.allocUnsafe(partSize), Buffer.allocUnsafe(partSize)];
      let next = 0;
      const fileHash = createHash('sha256');
      const asm = new PartAssembler(partSize, START_CURSOR, 1, eventKey, () => buffers[next++ % 2]!, fileHash, checksum);
      let bytes = 0;
      for (; bytes < total; bytes += chunk.length) {
        asm.data(chunk);
        asm.sync();
        asm.take();
      }
      asm.finish();
      fileHash.digest();
      return bytes;
    },
    's3-only': async (inFlight) => {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BENCH_BUCKET, Key: key }));
      const body = randomBytes(partSize);
      const parts = Math.max(4, Math.round((640 * 2 ** 20) / partSize / 2));
      let next = 1;
      const lane = async () => {
        while (next <= parts) {
          const n = next++;
          await uploadPart(s3, { bucket: BENCH_BUCKET, key, uploadId: UploadId!, partNumber: n, body });
        }
      };
      await Promise.all(Array.from({ length: inFlight }, lane));
      await s3.send(new AbortMultipartUploadCommand({ Bucket: BENCH_BUCKET, Key: key, UploadId }));
      return parts * partSize;
    },
    full: (inFlight) =>
      withCopy(pool, async (source) => {
        const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BENCH_BUCKET, Key: key }));
        try {
          const r = await frame(source, (n, body) => uploadPart(s3, { bucket: BENCH_BUCKET, key, uploadId: UploadId!, partNumber: n, body }), true, inFlight);
          return r.bytes;
        } finally {
          await s3.send(new AbortMultipartUploadCommand({ Bucket: BENCH_BUCKET, Key: key, UploadId }));
        }
      }),
  };

  const results: StageResult[] = [];
  for (const name of opts.stages.split(',')) {
    const run = stages[name];
    if (!run) throw new Error(`unknown stage ${name}`);
    const lanes = name === 's3-only' || name === 'full' ? inFlights : [0];
    // The part checksum is work in this process only for the stages that build parts without HTTP.
    const variants: (PartChecksum | null)[] = name === 'parts' || name === 'parts+sha256' || name === 'assemble' ? checksums : [null];
    for (const lane of lanes)
      for (const checksum of variants) {
        const label = `${name}${lane ? ` (in flight ${lane})` : ''}${checksum ? ` [${checksum}]` : ''}`;
        let best: StageResult | null = null;
        for (let i = 0; i < repeat; i++) {
          const r = await measure(label, () => run(lane || 2, checksum ?? 'md5'));
          console.error(
            `  ${label} #${i + 1}: ${(r.ms / 1000).toFixed(2)} s, ${(r.bytes / MB / (r.ms / 1000)).toFixed(1)} MB/s, this process ${r.mainThreadCpuS.toFixed(2)} core-s`,
          );
          if (!best || r.ms < best.ms) best = r;
        }
        results.push(best!);
      }
  }
  await pool.end();
  s3.destroy();

  const base = results.find((r) => r.stage === 'copy');
  console.log(`\nstage decomposition, ${rows.toLocaleString('en-US')} rows, ${partSize / 2 ** 20} MiB parts, best of ${repeat}`);
  console.log('stage                         wall      MB/s   vs copy  this-process CPU  postgres  seaweedfs  other   (core-s)');
  for (const r of results) {
    const g = (n: string) => (r.cpu.find((c) => c.group === n)?.seconds ?? 0).toFixed(1).padStart(8);
    const mbps = r.bytes / MB / (r.ms / 1000);
    const vs = base ? `${(mbps / (base.bytes / MB / (base.ms / 1000))).toFixed(2)}×` : '';
    console.log(
      `${r.stage.padEnd(26)} ${(r.ms / 1000).toFixed(2).padStart(6)} s ${mbps.toFixed(1).padStart(8)} ${vs.padStart(8)} ${r.mainThreadCpuS.toFixed(2).padStart(17)} ${g('postgres')}  ${g('seaweedfs')} ${g('other')}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
