import { describe, expect, it } from 'vitest';
import { csvHeader } from '../../src/export/csv.js';
import { exportTableDay, type ExportTableDayInput } from '../../src/export/export-table-day.js';
import { BEGIN_EXPORT_READ } from '../../src/export/query.js';
import { normalizeSettings } from '../../src/export/settings.js';
import type { Checkpoint } from '../../src/export/stream-parts.js';
import { columnNames } from '../../src/export/tables.js';
import { fakeExportPool, type FakeCopyOptions } from '../helpers/fake-export-db.js';

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
});
