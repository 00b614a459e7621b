import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarCodes, ledgerForRange, recordRunFinish, recordRunStart, type RunIdentity } from '../../src/ledger/export-runs.js';
import type { TableName } from '../../src/export/tables.js';
import { setupHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await setupHarness('ledger');
});
afterAll(async () => {
  await h?.close();
});

const BOTH: TableName[] = ['ua_events', 'campaign_metrics'];

async function attempt(integrationId: string, day: string, table: TableName, outcome: 'running' | 'succeeded' | 'failed' | 'cancelled', rows = 10) {
  const run: RunIdentity = { integrationId, table, day, workflowId: `wf-${integrationId}-${day}`, runId: randomUUID() };
  await recordRunStart(h.pool, { ...run, kind: 'manual', objectKey: `k/${table}/${day}.csv`, manifestKey: `k/${table}/${day}/_manifest.json` });
  if (outcome !== 'running')
    await recordRunFinish(
      h.pool,
      run,
      outcome === 'succeeded' ? { status: 'succeeded', rows, bytes: rows * 100, parts: 1, sha256: 'ab' } : { status: outcome, error: 'boom' },
    );
  return run;
}

describe('ledger', () => {
  it('codes each day of the calendar from the latest attempt of every table', async () => {
    const integration = await h.integration();
    const id = integration.id;
    await attempt(id, '2026-07-01', 'ua_events', 'succeeded');
    await attempt(id, '2026-07-01', 'campaign_metrics', 'succeeded');
    await attempt(id, '2026-07-02', 'ua_events', 'succeeded', 0);
    await attempt(id, '2026-07-02', 'campaign_metrics', 'succeeded', 0);
    await attempt(id, '2026-07-03', 'ua_events', 'failed');
    await attempt(id, '2026-07-03', 'campaign_metrics', 'succeeded');
    await attempt(id, '2026-07-04', 'ua_events', 'running');
    await attempt(id, '2026-07-05', 'ua_events', 'succeeded'); // metrics never exported: missing
    // A failed day later redone successfully is exported.
    await attempt(id, '2026-07-07', 'ua_events', 'failed');
    await attempt(id, '2026-07-07', 'ua_events', 'succeeded');
    await attempt(id, '2026-07-07', 'campaign_metrics', 'succeeded');
    const codes = await calendarCodes(h.pool, '2026-07-01', '2026-07-08', BOTH);
    expect(codes.get(id)).toBe('xefrmmxm');
    expect((await calendarCodes(h.pool, '2026-07-01', '2026-07-08', ['ua_events'])).get(id)).toBe('xefrxmxm');
  });

  it('keeps the newest attempt when an older one finishes late', async () => {
    const integration = await h.integration();
    const older = await attempt(integration.id, '2026-07-10', 'ua_events', 'running');
    await attempt(integration.id, '2026-07-10', 'ua_events', 'succeeded', 5);
    await recordRunFinish(h.pool, older, { status: 'failed', error: 'late failure of a superseded attempt' });
    const ledger = await ledgerForRange(h.pool, integration.id, '2026-07-10', '2026-07-10', ['ua_events']);
    expect(ledger[0]).toMatchObject({ status: 'succeeded', rows: 5, attempts: 2 });
    const { rows } = await h.pool.query(`SELECT status, rows::int FROM export_day_state WHERE integration_id = $1`, [integration.id]);
    expect(rows).toEqual([{ status: 'succeeded', rows: 5 }]);
  });

  it('keeps a day running, never failed, while an activity of its attempt is retried', async () => {
    const integration = await h.integration();
    const run = await attempt(integration.id, '2026-07-12', 'ua_events', 'running');
    // startFile retried (a lost response, a killed worker): it records the same attempt again.
    await recordRunStart(h.pool, { ...run, kind: 'manual', objectKey: 'k', manifestKey: 'm' });
    expect((await calendarCodes(h.pool, '2026-07-12', '2026-07-12', ['ua_events'])).get(integration.id)).toBe('r');
    expect((await ledgerForRange(h.pool, integration.id, '2026-07-12', '2026-07-12', ['ua_events']))[0]).toMatchObject({ status: 'running', attempts: 1 });
    // Only the workflow's final abandon marks it failed; a later run that succeeds makes it exported.
    await recordRunFinish(h.pool, run, { status: 'failed', error: 'gave up' });
    expect((await calendarCodes(h.pool, '2026-07-12', '2026-07-12', ['ua_events'])).get(integration.id)).toBe('f');
    await attempt(integration.id, '2026-07-12', 'ua_events', 'succeeded', 4);
    expect((await calendarCodes(h.pool, '2026-07-12', '2026-07-12', ['ua_events'])).get(integration.id)).toBe('x');
  });

  it('leaves an exported day exported when a rerun is cancelled, and the calendar and the ledger agree', async () => {
    const integration = await h.integration();
    const id = integration.id;
    const codes = async () => (await calendarCodes(h.pool, '2026-07-14', '2026-07-16', ['ua_events'])).get(id);
    await attempt(id, '2026-07-14', 'ua_events', 'succeeded', 7);
    const rerun = await attempt(id, '2026-07-14', 'ua_events', 'running');
    await attempt(id, '2026-07-15', 'ua_events', 'failed');
    await attempt(id, '2026-07-15', 'ua_events', 'cancelled');
    await attempt(id, '2026-07-16', 'ua_events', 'cancelled');
    expect(await codes()).toBe('rfm');
    // Cancellation never reaches completion, so the earlier file and its manifest are untouched.
    await recordRunFinish(h.pool, rerun, { status: 'cancelled', error: 'cancelled' });
    expect(await codes()).toBe('xfm');
    const ledger = await ledgerForRange(h.pool, id, '2026-07-14', '2026-07-16', ['ua_events']);
    expect(ledger.map((e) => [e.status, e.rows, e.attempts])).toEqual([
      ['succeeded', 7, 2],
      ['failed', null, 2],
      ['cancelled', null, 1],
    ]);
  });

  it('shows a day failed when a rerun after a success fails: it may have replaced the manifest', async () => {
    const integration = await h.integration();
    await attempt(integration.id, '2026-07-17', 'ua_events', 'succeeded', 7);
    await attempt(integration.id, '2026-07-17', 'ua_events', 'failed');
    expect((await calendarCodes(h.pool, '2026-07-17', '2026-07-17', ['ua_events'])).get(integration.id)).toBe('f');
  });

  it('does not let a cancelled older attempt take the day back from a newer one', async () => {
    const integration = await h.integration();
    const older = await attempt(integration.id, '2026-07-18', 'ua_events', 'running');
    await attempt(integration.id, '2026-07-18', 'ua_events', 'failed');
    await recordRunFinish(h.pool, older, { status: 'cancelled', error: 'late cancel' });
    expect((await calendarCodes(h.pool, '2026-07-18', '2026-07-18', ['ua_events'])).get(integration.id)).toBe('f');
  });

  it('lists every day of a range, with never-exported days as missing', async () => {
    const integration = await h.integration();
    await attempt(integration.id, '2026-07-21', 'campaign_metrics', 'succeeded', 3);
    const ledger = await ledgerForRange(h.pool, integration.id, '2026-07-20', '2026-07-22', BOTH);
    expect(ledger.map((e) => `${e.day}/${e.table}/${e.status}`)).toEqual([
      '2026-07-20/campaign_metrics/missing',
      '2026-07-20/ua_events/missing',
      '2026-07-21/campaign_metrics/succeeded',
      '2026-07-21/ua_events/missing',
      '2026-07-22/campaign_metrics/missing',
      '2026-07-22/ua_events/missing',
    ]);
  });
});
