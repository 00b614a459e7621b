import { beforeEach, describe, expect, it } from 'vitest';
import { DIRECT_READER } from '../../src/db/reused-buffer-socket.js';
import { CopyRows } from '../../src/export/copy-rows.js';
import { batchRows, copyData, copyOutResponse, copyOutStream, cut, errorResponse, FakePgSocket, readyForQuery } from '../helpers/copy-protocol.js';

/**
 * CopyRows holding a socket: the reader takes it from pg's parser, gives it back at the COPY's end or
 * error, and pauses it while its consumer is behind. (test/integration/copy-rows.test.ts runs the same
 * against a real Postgres.)
 */

const SQL = 'COPY (SELECT 1) TO STDOUT (FORMAT csv)';
const rowsOf = (n: number, width = 40) => Array.from({ length: n }, (_, i) => `${i + 1},${'r'.repeat(width)}\n`);

let reusedBuffer = false;

function start(copy: CopyRows): { socket: FakePgSocket; pgListeners: unknown[] } {
  const socket = new FakePgSocket(copy, { reusedBuffer });
  const pgListeners = socket.listeners('data');
  copy.submit(socket.connection() as never);
  return { socket, pgListeners };
}

async function drain(copy: CopyRows, each?: () => Promise<void>): Promise<string[]> {
  const rows: string[] = [];
  for await (const batch of copy) {
    rows.push(...batchRows(batch));
    await each?.();
  }
  return rows;
}

describe.each([
  { socket: 'a reused-buffer socket (the frame reader)', reused: true },
  { socket: 'any other socket (pg parses the rows)', reused: false },
])('CopyRows on the wire protocol, $socket', ({ reused }) => {
  beforeEach(() => {
    reusedBuffer = reused;
  });

  it('yields every row in order, takes the row count from the command tag pg parses, and gives pg its socket back', async () => {
    const copy = new CopyRows(SQL);
    const { socket, pgListeners } = start(copy);
    socket.send(cut(copyOutStream(rowsOf(500)), [7, 1, 250, 3]));
    // The frame reader takes the reads while the COPY lasts; otherwise a listener after pg's gathers reads.
    if (reused) expect(socket[DIRECT_READER]).toBeTypeOf('function');
    else expect(socket.listeners('data')).toHaveLength(pgListeners.length + 1);
    expect(await drain(copy)).toEqual(rowsOf(500));
    expect(copy.rowCount).toBe(500);
    expect(socket.listeners('data')).toEqual(pgListeners);
    if (reused) expect(socket[DIRECT_READER]).toBeNull();
    expect(socket.paused).toBe(false);
  });

  it('passes a notice mid-COPY to pg and keeps reading', async () => {
    const copy = new CopyRows(SQL);
    const { socket } = start(copy);
    const rows = rowsOf(4);
    const stream = copyOutStream(rows);
    const at = copyOutResponse().length + copyData(rows[0]!).length;
    socket.send(cut(Buffer.concat([stream.subarray(0, at), errorResponse('at 1', 'N'), stream.subarray(at)]), [9]));
    expect(await drain(copy)).toEqual(rows);
    expect(socket.notices).toEqual(['at 1']);
    expect(copy.rowCount).toBe(4);
  });

  it("throws the server's error that stops the COPY midway, after the rows before it", async () => {
    const copy = new CopyRows(SQL);
    const { socket } = start(copy);
    const before = rowsOf(3);
    socket.send(cut(Buffer.concat([copyOutResponse(), ...before.map(copyData), errorResponse('division by zero'), readyForQuery()]), [5]));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const batch of copy) seen.push(...batchRows(batch));
      })(),
    ).rejects.toThrow('division by zero');
    expect(before.slice(0, seen.length)).toEqual(seen);
    expect(copy.rowCount).toBeNull();
  });

  it('pauses the socket while a slow consumer is behind, and resumes it', async () => {
    const highWater = 3;
    // Buffers of 128 bytes: nearly every read fills one, so batches queue up while the consumer sleeps.
    const copy = new CopyRows(SQL, highWater, 128);
    const { socket } = start(copy);
    const rows = rowsOf(120);
    socket.send(cut(copyOutStream(rows), [97]));
    let maxWaiting = 0;
    const got = await drain(copy, async () => {
      await new Promise((r) => setTimeout(r, 15));
      // What queued up while the consumer was away.
      maxWaiting = Math.max(maxWaiting, copy.waitingBatches);
    });
    expect(got).toEqual(rows);
    // The consumer is slower than the reads (one a millisecond at most while small reads gather, each
    // filling a buffer): unpaused, about ten batches would wait after each sleep.
    expect(maxWaiting).toBeGreaterThanOrEqual(highWater);
    // A read smaller than a buffer fills at most one: it adds at most one batch past the mark.
    expect(maxWaiting).toBeLessThanOrEqual(highWater + 1);
    expect(socket.paused).toBe(false);
  });

  it('abort() makes the consumer throw the reason', async () => {
    const copy = new CopyRows(SQL);
    const { socket } = start(copy);
    socket.send(cut(Buffer.concat([copyOutResponse(), ...rowsOf(50).map(copyData)]), [64]));
    let seen = 0;
    await expect(
      drain(copy, async () => {
        if (++seen === 2) copy.abort(new Error('activity cancelled'));
      }),
    ).rejects.toThrow('activity cancelled');
  });
});
