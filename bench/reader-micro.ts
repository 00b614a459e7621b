import { Parser } from 'pg-protocol/dist/parser.js';
import { CopyOutFrames, type RowBatch } from '../src/export/copy-out-frames.js';

/**
 * The COPY reader's own CPU per 1M rows, with no I/O: the same CopyData bytes (rows of the bench's
 * size) fed in 64 KiB reads to pg's protocol parser with the per-row copy into 256 KiB batches that
 * CopyRows made before it read the socket itself, and to CopyOutFrames. Only the reader: hashing,
 * parts and uploads are in `npm run bench`.
 *
 *   npx tsx bench/reader-micro.ts
 */
const ROW = Buffer.from(`123456789,2025-03-14 12:34:56.123456+00,${'x'.repeat(620)}\n`);
const message = Buffer.alloc(5 + ROW.length);
message[0] = 0x64;
message.writeUInt32BE(ROW.length + 4, 1);
ROW.copy(message, 5);
const N = 1_000_000;
const ROWS_PER_ROUND = 2000;
const stream = Buffer.concat(Array.from({ length: ROWS_PER_ROUND }, () => message));
const reads: Buffer[] = [];
for (let p = 0; p < stream.length; p += 65536) reads.push(Buffer.from(stream.subarray(p, p + 65536)));
const rounds = N / ROWS_PER_ROUND;

function cpu(name: string, f: () => number): void {
  const t = process.cpuUsage();
  const rows = f();
  const u = process.cpuUsage(t);
  console.log(`${name}: ${((u.user + u.system) / 1e6).toFixed(2)} core-s for ${rows.toLocaleString('en-US')} rows`);
}

for (let trial = 0; trial < 2; trial++) {
  cpu('pg-protocol parser + copy into batches', () => {
    const parser = new Parser();
    const batch = Buffer.allocUnsafe(256 * 1024);
    const ends: number[] = [];
    let fill = 0;
    let rows = 0;
    for (let r = 0; r < rounds; r++)
      for (const read of reads)
        parser.parse(read, (m) => {
          const row = (m as unknown as { chunk?: Buffer }).chunk;
          if (!row) return;
          if (fill + row.length > batch.length) {
            fill = 0;
            ends.length = 0;
          }
          row.copy(batch, fill);
          fill += row.length;
          ends.push(fill);
          rows++;
        });
    return rows;
  });
  cpu('CopyOutFrames', () => {
    const frames = new CopyOutFrames(() => undefined);
    let rows = 0;
    for (let r = 0; r < rounds; r++)
      for (const read of reads) {
        const out: RowBatch[] = [];
        frames.push(read, out);
        for (const b of out) rows += b.ends.length;
      }
    return rows;
  });
}
