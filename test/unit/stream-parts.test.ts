import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/export/buffer-pool.js';
import type { RowBatch } from '../../src/export/copy-rows.js';
import { PartBudget, PartBuffersExhausted } from '../../src/export/part-budget.js';
import { eventKey, type BuiltPart } from '../../src/export/part-assembler.js';
import type { RowKey } from '../../src/export/query.js';
import { streamParts, type Checkpoint, type StreamPartsInput } from '../../src/export/stream-parts.js';
import { partDigest, type PartChecksum } from '../../src/s3/part-checksum.js';

/* Fake ua_events source: COPY output with the (id, created_at) key columns, replayable after a key. */

const HEADER = Buffer.from('profile_id,event_type,payload\n'); // 30 bytes: the first parts fall inside it
const ROWS = Array.from({ length: 12 }, (_, i) => {
  const id = String(i + 1);
  const createdAt = `2026-11-28 00:00:${String(i).padStart(2, '0')}.5+00`;
  const payload = i % 3 === 0 ? `"line\nbreak, ""quoted"" ${'x'.repeat(i)}"` : i % 3 === 1 ? '' : `plain-${i}-é`;
  const data = `p${i},install,${payload}\n`;
  return { id, createdAt, copyLine: Buffer.from(`${id},${createdAt},${data}`), data: Buffer.from(data) };
});
const EXPECTED_FILE = Buffer.concat([HEADER, ...ROWS.map((r) => r.data)]);
const PART_SIZE = 16;
const N_PARTS = Math.ceil(EXPECTED_FILE.length / PART_SIZE);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Row batches as CopyRows yields them: rows are ranges of one buffer with protocol bytes between them
 * (CopyData headers), and the buffer is overwritten as soon as the consumer asks for the next batch,
 * the most a source may do (streamParts must keep nothing of a batch but copies).
 */
async function* batches(groups: Buffer[][]): AsyncGenerator<RowBatch> {
  const shared = Buffer.alloc(4096);
  for (const rows of groups) {
    shared.fill(0x23); // '#': whatever the previous batch left, and the gaps, must not reach the file
    const starts: number[] = [];
    const ends: number[] = [];
    let fill = 0;
    for (const row of rows) {
      fill += 5; // a CopyData header's worth of gap
      starts.push(fill);
      fill += row.copy(shared, fill);
      ends.push(fill);
    }
    await Promise.resolve();
    yield { bytes: shared, starts, ends };
  }
}

/** The COPY rows after `after`, in batches of 1, 2, 3, 1, 2, 3… rows (as socket reads would group them). */
async function* copySource(after: RowKey | null, failAfterBatches = Infinity): AsyncGenerator<RowBatch> {
  if (after !== null && !('id' in after)) throw new Error('test source expects event keys');
  const rows = after === null ? ROWS : ROWS.filter((r) => Number(r.id) > Number(after.id));
  const groups: Buffer[][] = [];
  for (let pos = 0, n = 1; pos < rows.length; pos += n, n = (n % 3) + 1) groups.push(rows.slice(pos, pos + n).map((r) => r.copyLine));
  let sent = 0;
  for await (const batch of batches(groups)) {
    if (sent++ >= failAfterBatches) throw new Error('connection to Postgres lost');
    yield batch;
  }
}

interface FakeS3 {
  uploads: { partNumber: number; body: Buffer; etag: string }[];
  started: number[];
  inFlight: number;
  maxInFlight: number;
  uploadPart: StreamPartsInput['uploadPart'];
}

function fakeS3(opts: { tag: string; failOn?: number; delayMs?: (partNumber: number) => number; checksum?: PartChecksum }): FakeS3 {
  const s3: FakeS3 = {
    uploads: [],
    started: [],
    inFlight: 0,
    maxInFlight: 0,
    async uploadPart(partNumber, body, digest) {
      // The digest handed over (Content-MD5, or the x-amz-checksum-*) must be the part's own: a provider
      // would reject anything else.
      const algorithm = opts.checksum ?? 'md5';
      if (digest !== partDigest(algorithm, body)) throw new Error(`wrong ${algorithm} digest for part ${partNumber}`);
      s3.started.push(partNumber);
      s3.inFlight++;
      s3.maxInFlight = Math.max(s3.maxInFlight, s3.inFlight);
      try {
        const ms = opts.delayMs?.(partNumber) ?? 0;
        await new Promise((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));
        if (partNumber === opts.failOn) throw new Error(`S3 refused part ${partNumber}`);
        const etag = `"${opts.tag}-${partNumber}"`;
        s3.uploads.push({ partNumber, body: Buffer.from(body), etag });
        return etag;
      } finally {
        s3.inFlight--;
      }
    },
  };
  return s3;
}

function input(s3: FakeS3, resume: Checkpoint | null, checkpoints: [Checkpoint, BuiltPart][], over: Partial<StreamPartsInput> = {}): StreamPartsInput {
  return {
    source: copySource(resume?.next.after ?? null),
    keyColumns: 2,
    keyOf: eventKey,
    header: HEADER,
    partSize: PART_SIZE,
    resume,
    uploadPart: s3.uploadPart,
    onCheckpoint: (c, p) => checkpoints.push([structuredClone(c), p]),
    ...over,
  };
}

describe('streamParts: one uninterrupted pass', () => {
  it("uploads every part in order and returns the whole file's sha256", async () => {
    expect(N_PARTS).toBeGreaterThan(8);
    const s3 = fakeS3({ tag: 'a' });
    const checkpoints: [Checkpoint, BuiltPart][] = [];
    const result = await streamParts(input(s3, null, checkpoints));

    expect(s3.started).toEqual(Array.from({ length: N_PARTS }, (_, i) => i + 1));
    expect(Buffer.concat(s3.uploads.map((u) => u.body)).equals(EXPECTED_FILE)).toBe(true);
    s3.uploads.slice(0, -1).forEach((u) => expect(u.body.length).toBe(PART_SIZE));
    expect(result.parts).toEqual(s3.uploads.map((u) => ({ PartNumber: u.partNumber, ETag: u.etag, size: u.body.length })));
    expect(result.bytes).toBe(EXPECTED_FILE.length);
    expect(result.rows).toBe(ROWS.length);
    expect(result.sha256).toBe(sha256(EXPECTED_FILE));
  });

  it('emits a checkpoint after each non-final part, with a growing list of parts', async () => {
    const s3 = fakeS3({ tag: 'a' });
    const checkpoints: [Checkpoint, BuiltPart][] = [];
    await streamParts(input(s3, null, checkpoints));

    expect(checkpoints).toHaveLength(N_PARTS - 1);
    checkpoints.forEach(([c, part], i) => {
      expect(part.partNumber).toBe(i + 1);
      expect(c.parts.map((p) => p.PartNumber)).toEqual(Array.from({ length: i + 1 }, (_, j) => j + 1));
      expect(c.parts.map((p) => p.ETag)).toEqual(Array.from({ length: i + 1 }, (_, j) => `"a-${j + 1}"`));
      expect(c.bytes).toBe((i + 1) * PART_SIZE);
      expect(c.continuousHash).toBe(true);
      expect(c.next).toEqual(part.next);
    });
    // The first parts lie inside the header, so their cursor starts from the top of the file.
    expect(checkpoints[0]![0].next).toEqual({ rows: 0, after: null, skip: 16 });
  });

  it('a single-part file uploads one part and emits no checkpoint', async () => {
    const s3 = fakeS3({ tag: 'a' });
    const checkpoints: [Checkpoint, BuiltPart][] = [];
    const result = await streamParts(input(s3, null, checkpoints, { partSize: EXPECTED_FILE.length }));
    expect(s3.started).toEqual([1]);
    expect(checkpoints).toEqual([]);
    expect(result.parts).toEqual([{ PartNumber: 1, ETag: '"a-1"', size: EXPECTED_FILE.length }]);
    expect(result.sha256).toBe(sha256(EXPECTED_FILE));
  });

  it('an empty day is a header-only file', async () => {
    const s3 = fakeS3({ tag: 'a' });
    const empty = (async function* () {})();
    const result = await streamParts(input(s3, null, [], { source: empty, partSize: 1024 }));
    expect(Buffer.concat(s3.uploads.map((u) => u.body)).equals(HEADER)).toBe(true);
    expect(result).toMatchObject({ rows: 0, bytes: HEADER.length, sha256: sha256(HEADER) });
  });
});

describe('streamParts: crash and resume', () => {
  // Every failure point: inside the header (cursor after=null), mid-row and on the last part.
  it.each(Array.from({ length: N_PARTS }, (_, i) => i + 1))('upload fails at part %i, then a resumed attempt completes the file', async (failAt) => {
    const first = fakeS3({ tag: 'first', failOn: failAt });
    const firstCheckpoints: [Checkpoint, BuiltPart][] = [];
    await expect(streamParts(input(first, null, firstCheckpoints))).rejects.toThrow(`S3 refused part ${failAt}`);

    // Checkpoints cover exactly the contiguous prefix before the failed part.
    expect(firstCheckpoints.map(([, p]) => p.partNumber)).toEqual(Array.from({ length: failAt - 1 }, (_, i) => i + 1));
    const resume = firstCheckpoints.at(-1)?.[0] ?? null;

    const second = fakeS3({ tag: 'second' });
    const secondCheckpoints: [Checkpoint, BuiltPart][] = [];
    const result = await streamParts(input(second, resume, secondCheckpoints));

    // Only the remaining parts are uploaded, with their original numbers.
    expect(second.started).toEqual(Array.from({ length: N_PARTS - failAt + 1 }, (_, i) => failAt + i));
    // The object S3 assembles from the listed parts (the latest upload of each number wins) is the file.
    const latest = new Map<number, Buffer>();
    for (const u of [...first.uploads, ...second.uploads]) latest.set(u.partNumber, u.body);
    const assembled = Buffer.concat(result.parts.map((p) => latest.get(p.PartNumber)!));
    expect(assembled.equals(EXPECTED_FILE)).toBe(true);

    expect(result.parts.map((p) => p.PartNumber)).toEqual(Array.from({ length: N_PARTS }, (_, i) => i + 1));
    expect(result.parts.map((p) => p.ETag)).toEqual(Array.from({ length: N_PARTS }, (_, i) => (i + 1 < failAt ? `"first-${i + 1}"` : `"second-${i + 1}"`)));
    expect(result.bytes).toBe(EXPECTED_FILE.length);
    expect(result.rows).toBe(ROWS.length);
    expect(result.sha256).toBe(resume ? null : sha256(EXPECTED_FILE));
    for (const [c] of secondCheckpoints) expect(c.continuousHash).toBe(resume === null);
  });

  it.each([
    ['sha256', 'ChecksumSHA256', 'ChecksumCRC32'],
    ['crc32', 'ChecksumCRC32', 'ChecksumSHA256'],
  ] as const)(
    'with checksum %s, every part of a resumed file keeps its %s for the completion, those of the first attempt too',
    async (checksum, field, other) => {
      const failAt = 4;
      const first = fakeS3({ tag: 'first', failOn: failAt, checksum });
      const firstCheckpoints: [Checkpoint, BuiltPart][] = [];
      await expect(streamParts(input(first, null, firstCheckpoints, { checksum }))).rejects.toThrow(`S3 refused part ${failAt}`);
      const resume = firstCheckpoints.at(-1)![0];
      const second = fakeS3({ tag: 'second', checksum });
      const result = await streamParts(input(second, resume, [], { checksum }));

      const bodies = new Map<number, Buffer>();
      for (const u of [...first.uploads, ...second.uploads]) bodies.set(u.partNumber, u.body);
      expect(Buffer.concat(result.parts.map((p) => bodies.get(p.PartNumber)!)).equals(EXPECTED_FILE)).toBe(true);
      expect(result.parts).toHaveLength(N_PARTS);
      for (const p of result.parts) {
        expect(p[field], `part ${p.PartNumber}`).toBe(partDigest(checksum, bodies.get(p.PartNumber)!));
        expect(p).not.toHaveProperty(other);
      }
      // The default (md5) adds no checksum field: completion then lists ETags only, as before.
      const plain = await streamParts(input(fakeS3({ tag: 'md5' }), null, []));
      for (const p of plain.parts) {
        expect(p).not.toHaveProperty('ChecksumSHA256');
        expect(p).not.toHaveProperty('ChecksumCRC32');
      }
    },
  );

  it('a resume from part 3 re-sends the header to satisfy a skip inside it', async () => {
    const first = fakeS3({ tag: 'first', failOn: 3 });
    const checkpoints: [Checkpoint, BuiltPart][] = [];
    await expect(streamParts(input(first, null, checkpoints))).rejects.toThrow();
    const resume = checkpoints.at(-1)![0];
    expect(resume.next).toEqual({ rows: 0, after: null, skip: 32 });
    expect(resume.parts.map((p) => p.PartNumber)).toEqual([1, 2]);

    const second = fakeS3({ tag: 'second' });
    const result = await streamParts(input(second, resume, []));
    expect(second.uploads[0]!.partNumber).toBe(3);
    expect(second.uploads[0]!.body.equals(EXPECTED_FILE.subarray(32, 48))).toBe(true);
    expect(result.sha256).toBeNull();
  });
});

describe('streamParts: errors', () => {
  it('propagates a source failure after the uploads on the wire have settled', async () => {
    const s3 = fakeS3({ tag: 'a', delayMs: () => 5 });
    const run = streamParts(input(s3, null, [], { source: copySource(null, 4) }));
    await expect(run).rejects.toThrow('connection to Postgres lost');
    expect(s3.started.length).toBeGreaterThan(0);
    expect(s3.inFlight).toBe(0);
  });

  it.each([
    ['without its line feed', (row: Buffer) => row.subarray(0, row.length - 1), /does not end with a line feed/],
    ['without its key columns', () => Buffer.from('p9,install\n'), /fewer than 2 key columns/],
    ['that is empty', () => Buffer.alloc(0), /does not end with a line feed/],
  ])('rejects a row %s and never uploads a final part for it', async (_what, damage, error) => {
    const damaged = batches([ROWS.slice(0, 5).map((r) => r.copyLine), [damage(ROWS[5]!.copyLine)]]);
    const s3 = fakeS3({ tag: 'a' });
    await expect(streamParts(input(s3, null, [], { source: damaged }))).rejects.toThrow(error);
    const uploadedBytes = s3.uploads.reduce((n, u) => n + u.body.length, 0);
    expect(uploadedBytes).toBeGreaterThan(0);
    expect(uploadedBytes % PART_SIZE).toBe(0); // only full parts, never a short "last" one
  });

  it('waits for in-flight uploads before rethrowing an upload failure', async () => {
    // Part 2 fails fast while parts 3.. are still slow on the wire.
    const s3 = fakeS3({ tag: 'a', failOn: 2, delayMs: (n) => (n === 2 ? 1 : 20) });
    await expect(streamParts(input(s3, null, [], { maxInFlight: 4 }))).rejects.toThrow('S3 refused part 2');
    expect(s3.inFlight).toBe(0);
  });
});

describe('streamParts: concurrency', () => {
  it.each([1, 2, 3, 5])('maxInFlight %i bounds concurrent uploads (and is reached)', async (maxInFlight) => {
    // Later parts finish first, so out-of-order completion is exercised too.
    const s3 = fakeS3({ tag: 'a', delayMs: (n) => 2 + ((N_PARTS - n) % 4) * 2 });
    const checkpoints: [Checkpoint, BuiltPart][] = [];
    const result = await streamParts(input(s3, null, checkpoints, { maxInFlight }));
    expect(s3.maxInFlight).toBe(maxInFlight);
    expect(result.parts.map((p) => p.PartNumber)).toEqual(Array.from({ length: N_PARTS }, (_, i) => i + 1));
    expect(checkpoints.map(([c]) => c.parts.length)).toEqual(Array.from({ length: N_PARTS - 1 }, (_, i) => i + 1));
    const byNumber = [...s3.uploads].sort((a, b) => a.partNumber - b.partNumber);
    expect(Buffer.concat(byNumber.map((u) => u.body)).equals(EXPECTED_FILE)).toBe(true);
  });

  it('defaults to 2 uploads in flight', async () => {
    const s3 = fakeS3({ tag: 'a', delayMs: () => 2 });
    await streamParts(input(s3, null, []));
    expect(s3.maxInFlight).toBe(2);
  });
});

describe('streamParts: part buffers', () => {
  /** A pool that counts the buffers it had to allocate. */
  function countingPool(maxIdle: number) {
    const pool = new BufferPool(maxIdle);
    const stats = { fresh: 0 };
    const take = pool.take.bind(pool);
    pool.take = (size) => {
      if (pool.idleCount === 0) stats.fresh++;
      return take(size);
    };
    return { pool, stats };
  }

  it("a second export reuses the first one's buffers, and both files are whole", async () => {
    // These 16-byte parts are smaller than a batch of rows, so one batch may cut several parts: parts
    // cut while every buffer uploads are spills of their own, kept once uploaded. The pool keeps the
    // buffers it gave for the second export.
    const { pool, stats } = countingPool(64);
    const first = fakeS3({ tag: 'a', delayMs: () => 2 });
    await streamParts(input(first, null, [], { buffers: pool, maxInFlight: 3 }));
    const afterFirst = stats.fresh;
    expect(afterFirst).toBeGreaterThan(1);
    expect(afterFirst).toBeLessThan(N_PARTS);
    expect(pool.idleCount).toBe(afterFirst);

    const second = fakeS3({ tag: 'b', delayMs: () => 2 });
    await streamParts(input(second, null, [], { buffers: pool, maxInFlight: 3 }));
    expect(stats.fresh).toBe(afterFirst);
    for (const s3 of [first, second]) {
      const byNumber = [...s3.uploads].sort((a, b) => a.partNumber - b.partNumber);
      expect(Buffer.concat(byNumber.map((u) => u.body)).equals(EXPECTED_FILE)).toBe(true);
    }
  });

  it('buffers go back only after the uploads still on the wire have settled, also on failure', async () => {
    const pool = new BufferPool(4);
    const given: Buffer[] = [];
    const give = pool.give.bind(pool);
    const s3 = fakeS3({ tag: 'a', failOn: 2, delayMs: (n) => (n === 2 ? 1 : 20) });
    pool.give = (b) => {
      // By the time a buffer comes back, no upload may still be running.
      expect(s3.inFlight).toBe(0);
      given.push(b);
      give(b);
    };
    await expect(streamParts(input(s3, null, [], { buffers: pool, maxInFlight: 3 }))).rejects.toThrow('S3 refused part 2');
    expect(given.length).toBeGreaterThan(0);
    expect(new Set(given).size).toBe(given.length);
  });

  it('keeps at most maxIdle buffers between uploads', () => {
    const pool = new BufferPool(2);
    for (let i = 0; i < 5; i++) pool.give(Buffer.alloc(8));
    pool.give(Buffer.alloc(4));
    expect(pool.idleCount).toBe(3);
    expect(pool.take(8).length).toBe(8);
    expect(pool.take(4).length).toBe(4);
    expect(pool.take(16).length).toBe(16);
    expect(pool.idleCount).toBe(1);
    expect(() => new BufferPool(-1)).toThrow(/maxIdle/);
  });
});

describe('streamParts: a worker-wide part budget', () => {
  // The largest batch copySource yields is 83 bytes: with 90-byte parts a batch cuts at most one part,
  // as production's batches (256 KiB) against parts of 5 MiB or more.
  const BUDGET_PART = 90;

  it('files sharing a budget smaller than their wants all complete whole, within the budget, none overdrawn', async () => {
    const budget = new PartBudget(BUDGET_PART, 4);
    let peak = 0;
    const file = async (tag: string) => {
      const lease = await budget.acquire(2, 3);
      peak = Math.max(peak, budget.stats().inUse);
      const s3 = fakeS3({ tag, delayMs: (n) => 1 + (n % 3) });
      try {
        await streamParts(input(s3, null, [], { partSize: BUDGET_PART, buffers: lease, maxInFlight: lease.granted }));
      } finally {
        lease.release();
      }
      return s3;
    };
    const all = await Promise.all(['a', 'b', 'c'].map(file));
    for (const s3 of all) {
      const byNumber = [...s3.uploads].sort((x, y) => x.partNumber - y.partNumber);
      expect(byNumber.length).toBe(Math.ceil(EXPECTED_FILE.length / BUDGET_PART));
      expect(Buffer.concat(byNumber.map((u) => u.body)).equals(EXPECTED_FILE)).toBe(true);
    }
    expect(peak).toBeLessThanOrEqual(4);
    expect(budget.stats()).toMatchObject({ inUse: 0, waiting: 0, overdrawn: 0 });
  });

  it('a file holds maxInFlight part buffers, never one more, and still has maxInFlight parts uploading at once', async () => {
    for (const maxInFlight of [1, 2, 3]) {
      // A strict lease of exactly maxInFlight: one more take() would throw PartBuffersExhausted.
      const budget = new PartBudget(BUDGET_PART, 4);
      const lease = await budget.acquire(maxInFlight, maxInFlight, undefined, true);
      const s3 = fakeS3({ tag: 'a', delayMs: () => 3 });
      await streamParts(input(s3, null, [], { partSize: BUDGET_PART, buffers: lease, maxInFlight }));
      lease.release();
      const byNumber = [...s3.uploads].sort((x, y) => x.partNumber - y.partNumber);
      expect(Buffer.concat(byNumber.map((u) => u.body)).equals(EXPECTED_FILE), `maxInFlight ${maxInFlight}`).toBe(true);
      expect(s3.maxInFlight, `maxInFlight ${maxInFlight}`).toBe(Math.min(maxInFlight, byNumber.length));
      expect(budget.stats()).toMatchObject({ inUse: 0, overdrawn: 0, idle: maxInFlight });
    }
  });

  it('a one-buffer strict lease past its grant still throws PartBuffersExhausted', async () => {
    const budget = new PartBudget(BUDGET_PART, 4);
    const lease = await budget.acquire(1, 1, undefined, true);
    lease.take(BUDGET_PART);
    expect(() => lease.take(BUDGET_PART)).toThrow(PartBuffersExhausted);
    lease.release();
  });
});

describe('streamParts: arguments', () => {
  it.each([0, -1, 1.5])('rejects maxInFlight %s instead of looping forever', async (maxInFlight) => {
    await expect(
      streamParts({
        source: batches([[Buffer.from('1,2026-01-01 00:00:00+00,a\n')]]),
        keyColumns: 2,
        keyOf: eventKey,
        header: Buffer.from('c\n'),
        partSize: 16,
        resume: null,
        uploadPart: async () => '"e"',
        onCheckpoint: () => undefined,
        maxInFlight,
      }),
    ).rejects.toThrow(/maxInFlight must be a positive integer/);
  });
});
