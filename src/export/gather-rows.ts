import type { RowBatch } from './copy-rows.js';

/**
 * The single-request probe's read for an encoded format (csv_gzip, Parquet): the COPY's rows are
 * gathered into a few part buffers before anything is encoded, and encoded only once the COPY has
 * ended within them.
 *
 * Why: whether a file fits one part is a question about its stored bytes, but for an encoded format
 * the answer used to cost encoding the file up to a whole part of output, which the multipart path,
 * when the file turned out larger, threw away and encoded again from its first row (for Parquet that
 * is a large share of a big day's CPU). Gathered rows cost a copy; a day that outgrows the buffers is
 * handed to the multipart path with nothing encoded. A day that is gathered whole is encoded from the
 * same rows by the same encoder as on the multipart path, so its bytes do not depend on the path.
 */

/** The COPY produced more rows than the gathering buffers hold; nothing was encoded. */
export class GatherLimitExceeded extends Error {
  constructor() {
    super('the COPY produced more bytes than the probe gathers');
  }
}

/**
 * Reads `source` to its end into buffers from `next` (null: none left), rows kept whole, and returns
 * them as batches to replay. Throws GatherLimitExceeded as soon as a row does not fit in what is left.
 */
export async function gatherRows(source: AsyncIterable<RowBatch>, next: () => Buffer | null): Promise<RowBatch[]> {
  const batches: RowBatch[] = [];
  let buf: Buffer | null = null;
  let starts: number[] = [];
  let ends: number[] = [];
  let fill = 0;
  for await (const batch of source) {
    for (let i = 0; i < batch.ends.length; i++) {
      const start = batch.starts[i]!;
      const end = batch.ends[i]!;
      const n = end - start;
      if (buf === null || fill + n > buf.length) {
        if (buf !== null && ends.length > 0) batches.push({ bytes: buf.subarray(0, fill), starts, ends });
        buf = next();
        if (buf === null || n > buf.length) throw new GatherLimitExceeded();
        starts = [];
        ends = [];
        fill = 0;
      }
      batch.bytes.copy(buf, fill, start, end);
      starts.push(fill);
      fill += n;
      ends.push(fill);
    }
  }
  if (buf !== null && ends.length > 0) batches.push({ bytes: buf.subarray(0, fill), starts, ends });
  return batches;
}

/** The gathered batches as the source streamParts reads. */
export async function* replay(batches: readonly RowBatch[]): AsyncIterable<RowBatch> {
  for (const b of batches) yield b;
}
