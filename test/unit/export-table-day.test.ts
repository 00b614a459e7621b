import { describe, expect, it } from 'vitest';
import { csvHeader } from '../../src/export/csv.js';
import { exportTableDay, type ExportTableDayInput } from '../../src/export/export-table-day.js';
import { BEGIN_EXPORT_READ } from '../../src/export/query.js';
import { normalizeSettings } from '../../src/export/settings.js';
import type { Checkpoint } from '../../src/export/stream-parts.js';
import { columnNames } from '../../src/export/tables.js';
import type { SameSnapshotRead, SnapshotDb } from '../../src/export/same-snapshot.js';
import { FAKE_SNAPSHOT_ID, fakeExportPool, type FakeClient, type FakeCopyOptions } from '../helpers/fake-export-db.js';

const ROWS = Array.from({ length: 40 }, (_, i) => `ios,campaign-${i},adset,ad,${i},${i * 3}\n`);
const FILE = Buffer.concat([csvHeader(columnNames('campaign_metrics', false)), Buffer.from(ROWS.join(''))]);
const PART_SIZE = 64;
const integration = { appId: '6f1c3c1e-2a43-4c8e-9d0a-5b9f0a7d1e22', settings: normalizeSettings({}), historicalCutoff: '2000-01-01T00:00:00Z' };

function run(overrides: Partial<ExportTableDayInput> & { copy?: FakeCopyOptions } = {}) {
  const pool = fakeExportPool(ROWS, overrides.copy);
  const uploaded: { partNumber: number; body: Buffer }[] = [];
  const checkpoints: Checkpoint[] = [];
  const result = exportTableDay({
    pool,
    table: 'campaign_metrics',
    day: '2026-03-01',
    integration,
    partSize: PART_SIZE,
    maxInFlight: 2,
    resume: null,
    uploadPart: async (partNumber, body) => {
      uploaded.push({ partNumber, body: Buffer.from(body) });
      return `"etag-${partNumber}"`;
    },
    onCheckpoint: (cp) => checkpoints.push(cp),
    ...overrides,
  });
  return { pool, uploaded, checkpoints, result };
}

describe('exportTableDay', () => {
  it('runs the COPY in its read transaction, uploads the file as equal parts and pools the connection again', async () => {
    const { pool, uploaded, checkpoints, result } = run();
    const out = await result;
    expect(Buffer.concat(uploaded.map((u) => u.body)).equals(FILE)).toBe(true);
    expect(uploaded.slice(0, -1).every((u) => u.body.length === PART_SIZE)).toBe(true);
    expect(out).toMatchObject({ rows: ROWS.length, bytes: FILE.length });
    expect(out.parts.map((p) => p.PartNumber)).toEqual(uploaded.map((_, i) => i + 1));
    expect(checkpoints.length).toBe(uploaded.length - 1);
    const [client] = pool.clients;
    expect(client!.queries[0]).toBe(BEGIN_EXPORT_READ);
    expect(client!.queries[1]).toMatch(/^COPY \(SELECT .* FROM campaign_metrics t/);
    expect(client!.queries.at(-1)).toBe('COMMIT');
    expect(client!.released).toBe(true);
  });

  it('resumed from a checkpoint, replays the rest of the file byte for byte from the cursor', async () => {
    const full = run();
    await full.result;
    // Half way, well past the header: the cursor points into the rows.
    const cp = full.checkpoints[Math.floor(full.checkpoints.length / 2)]!;
    expect(cp.next.rows).toBeGreaterThan(0);
    const resumed = run({ resume: cp });
    const out = await resumed.result;
    expect(resumed.pool.clients[0]!.queries[1]).toContain(`OFFSET ${cp.next.rows}`);
    expect(resumed.uploaded[0]!.partNumber).toBe(cp.parts.length + 1);
    const kept = full.uploaded.slice(0, cp.parts.length).map((u) => u.body);
    expect(Buffer.concat([...kept, ...resumed.uploaded.map((u) => u.body)]).equals(FILE)).toBe(true);
    expect(out.sha256).toBeNull();
    expect(out.parts).toEqual((await full.result).parts);
  });

  it('discards the connection and does not commit when COPY reports another row count than was read', async () => {
    const { pool, result } = run({ copy: { reportedRows: (n) => n + 1 } });
    await expect(result).rejects.toThrow(`COPY reported ${ROWS.length + 1} rows but ${ROWS.length} were read`);
    const client = pool.clients[0]!;
    expect(client.queries).not.toContain('COMMIT');
    expect(client.released).toBeInstanceOf(Error);
  });

  it('discards the connection when a part upload fails', async () => {
    const { pool, result } = run({
      uploadPart: async (n) => {
        if (n === 2) throw new Error('bucket gone');
        return '"e"';
      },
    });
    await expect(result).rejects.toThrow('bucket gone');
    expect(pool.clients[0]!.released).toBeInstanceOf(Error);
    expect(pool.clients[0]!.queries).not.toContain('COMMIT');
  });

  it('stops a COPY that never ends when aborted, with the abort reason, and passes the signal to uploads', async () => {
    const abort = new AbortController();
    const signals: AbortSignal[] = [];
    const { pool, result } = run({
      copy: { stall: true },
      signal: abort.signal,
      uploadPart: async (_n, _body, _md5, signal) => {
        signals.push(signal);
        return '"e"';
      },
    });
    await new Promise((r) => setTimeout(r, 20));
    abort.abort(new Error('activity cancelled'));
    await expect(result).rejects.toThrow('activity cancelled');
    expect(pool.clients[0]!.released).toBeInstanceOf(Error);
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((s) => s === abort.signal)).toBe(true);
  });

  describe("a read in the COPY's snapshot (the lookback fingerprint)", () => {
    /** Records which connection the read ran on, and what that connection had run by then. */
    function recordingRead(mode: SameSnapshotRead['mode'], fail?: Error) {
      const seen: { db: SnapshotDb; queriesBefore: string[] }[] = [];
      const failures: Error[] = [];
      const read: SameSnapshotRead = {
        mode,
        async run(db) {
          seen.push({ db, queriesBefore: [...(db as FakeClient).queries] });
          await new Promise((r) => setTimeout(r, 5));
          if (fail) throw fail;
        },
        failed: (err) => failures.push(err),
      };
      return { read, seen, failures };
    }

    it('concurrent: exports the snapshot before the COPY, reads it on a second connection, and commits only after the read', async () => {
      const { read, seen, failures } = recordingRead('concurrent');
      const { pool, result } = run({ sameSnapshot: read });
      await result;
      const [reader, side] = pool.clients;
      expect(reader!.queries.slice(0, 3)).toEqual([BEGIN_EXPORT_READ, 'SELECT pg_export_snapshot() AS id', expect.stringMatching(/^COPY /)]);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.db).toBe(side);
      // Imported first thing in its transaction, read only, as the export's own read is.
      expect(side!.queries[0]).toMatch(/^BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1';/);
      expect(side!.queries[0]).toContain(FAKE_SNAPSHOT_ID);
      expect(side!.queries.at(-1)).toBe('COMMIT');
      expect(side!.released).toBe(true);
      expect(reader!.queries.at(-1)).toBe('COMMIT');
      expect(failures).toEqual([]);
    });

    it('after: reads on the read connection once the COPY is done, before COMMIT (one REPEATABLE READ snapshot)', async () => {
      const { read, seen } = recordingRead('after');
      const { pool, result } = run({ sameSnapshot: read });
      await result;
      expect(pool.clients).toHaveLength(1);
      const reader = pool.clients[0]!;
      expect(seen[0]!.db).toBe(reader);
      expect(seen[0]!.queriesBefore).toEqual([BEGIN_EXPORT_READ, expect.stringMatching(/^COPY /)]);
      expect(reader.queries.at(-1)).toBe('COMMIT');
      expect(BEGIN_EXPORT_READ).toMatch(/^BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;/);
    });

    it('concurrent without a spare connection in the pool: falls back to reading after the COPY on the same connection', async () => {
      const { read, seen } = recordingRead('concurrent');
      const pool = fakeExportPool(['x,1,2,3,4,5\n']);
      const full = Object.assign(pool, { totalCount: 4, idleCount: 0, waitingCount: 0, options: { max: 4 } });
      await run({ pool: full, sameSnapshot: read }).result;
      expect(full.clients).toHaveLength(1);
      expect(full.clients[0]!.queries).not.toContain('SELECT pg_export_snapshot() AS id');
      expect(seen[0]!.db).toBe(full.clients[0]);
    });

    it('a failed read is reported, never fails the export', async () => {
      for (const mode of ['concurrent', 'after'] as const) {
        const { read, failures } = recordingRead(mode, new Error('snapshot gone'));
        const { uploaded, result } = run({ sameSnapshot: read });
        await expect(result).resolves.toMatchObject({ rows: ROWS.length });
        expect(Buffer.concat(uploaded.map((u) => u.body)).equals(FILE)).toBe(true);
        expect(failures.map((f) => f.message)).toEqual(['snapshot gone']);
      }
    });

    it('a failed export still waits for the concurrent read to finish before it rejects', async () => {
      let finished = false;
      const read: SameSnapshotRead = {
        mode: 'concurrent',
        run: async () => {
          await new Promise((r) => setTimeout(r, 30));
          finished = true;
        },
        failed: () => undefined,
      };
      const { result } = run({
        sameSnapshot: read,
        uploadPart: async () => {
          throw new Error('bucket gone');
        },
      });
      await expect(result).rejects.toThrow('bucket gone');
      expect(finished).toBe(true);
    });
  });
});
