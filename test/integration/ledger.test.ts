import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarCodes, ledgerForRange, recordRunFinish, recordRunStart, type RunIdentity } from '../../src/ledger/export-runs.js';
import { addDays, dayCount } from '../../src/export/days.js';
import type { TableName } from '../../src/export/tables.js';
import type { RunKind } from '../../src/ledger/export-runs.js';
import { calendarCodesBefore } from '../helpers/calendar-codes-before.js';
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
    expect(ledger[0]).toMatchObject({ status: 'succeeded', rows: 5, attempts: 2, kind: 'manual' });
    const { rows } = await h.pool.query(`SELECT status, rows::int FROM export_day_state WHERE integration_id = $1`, [integration.id]);
    expect(rows).toEqual([{ status: 'succeeded', rows: 5 }]);
  });

  it("names what started the day's latest attempt, a lookback redelivery included", async () => {
    const integration = await h.integration();
    await attempt(integration.id, '2026-07-11', 'ua_events', 'succeeded', 5);
    const redelivery: RunIdentity = { integrationId: integration.id, table: 'ua_events', day: '2026-07-11', workflowId: 'wf-redelivery', runId: randomUUID() };
    await recordRunStart(h.pool, { ...redelivery, kind: 'redelivery', objectKey: 'k', manifestKey: 'm' });
    await recordRunFinish(h.pool, redelivery, { status: 'succeeded', rows: 6, bytes: 600, parts: 1, sha256: 'cd' });
    const ledger = await ledgerForRange(h.pool, integration.id, '2026-07-11', '2026-07-11', BOTH);
    expect(ledger.map((e) => [e.table, e.status, e.kind, e.rows])).toEqual([
      ['campaign_metrics', 'missing', null, null],
      ['ua_events', 'succeeded', 'redelivery', 6],
    ]);
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

  it('codes the days as the query it replaced did: every outcome and kind, gaps at both ends, pages of integrations', async () => {
    // Three integrations over 40 days, each day's attempts chosen from a fixed cycle of histories
    // (scheduled, backfill, manual and re-delivery attempts; running, failed, cancelled, empty,
    // one table only, a failure redone, a success redone and failed, never exported); the third has no
    // day at all. Days outside [from, to] hold attempts too, and must not leak in.
    type Step = [TableName, RunKind, 'running' | 'succeeded' | 'failed' | 'cancelled', number?];
    const histories: Step[][] = [
      [
        ['ua_events', 'scheduled', 'succeeded'],
        ['campaign_metrics', 'scheduled', 'succeeded'],
      ],
      [
        ['ua_events', 'scheduled', 'succeeded', 0],
        ['campaign_metrics', 'scheduled', 'succeeded', 0],
      ],
      [
        ['ua_events', 'scheduled', 'failed'],
        ['campaign_metrics', 'scheduled', 'succeeded'],
      ],
      [['ua_events', 'backfill', 'running']],
      [['ua_events', 'scheduled', 'succeeded']],
      [],
      [
        ['ua_events', 'scheduled', 'cancelled'],
        ['campaign_metrics', 'scheduled', 'cancelled'],
      ],
      [
        ['ua_events', 'scheduled', 'failed'],
        ['ua_events', 'redelivery', 'succeeded'],
        ['campaign_metrics', 'scheduled', 'succeeded'],
      ],
      [
        ['ua_events', 'scheduled', 'succeeded'],
        ['campaign_metrics', 'scheduled', 'succeeded'],
        ['ua_events', 'redelivery', 'failed'],
      ],
      [
        ['ua_events', 'scheduled', 'succeeded'],
        ['campaign_metrics', 'manual', 'succeeded', 0],
        ['campaign_metrics', 'redelivery', 'running'],
      ],
      [
        ['ua_events', 'scheduled', 'succeeded', 0],
        ['campaign_metrics', 'backfill', 'succeeded', 3],
      ],
    ];
    const [a, b, c] = [await h.integration(), await h.integration(), await h.integration()];
    const first = '2026-09-01';
    for (const [n, integration] of [a, b].entries()) {
      // `a` has days 1 to 38 (gaps at both ends); `b` has days -1 to 40 (outside the range at both ends)
      // and starts on another history.
      const [lo, hi] = n === 0 ? [1, 38] : [-1, 40];
      for (let d = lo; d <= hi; d++) {
        const day = addDays(first, d);
        for (const [table, kind, outcome, rows] of histories[(d + 11 + 3 * n) % histories.length]!) {
          const run: RunIdentity = { integrationId: integration.id, table, day, workflowId: `wf-${integration.id}-${day}`, runId: randomUUID() };
          await recordRunStart(h.pool, { ...run, kind, objectKey: `k/${table}/${day}.csv`, manifestKey: `k/${table}/${day}/_manifest.json` });
          if (outcome !== 'running')
            await recordRunFinish(
              h.pool,
              run,
              outcome === 'succeeded' ? { status: 'succeeded', rows: rows ?? 10, bytes: 100, parts: 1, sha256: 'ab' } : { status: outcome, error: 'boom' },
            );
        }
      }
    }
    const to = addDays(first, 39);
    const ids = [a.id, b.id, c.id];
    for (const tables of [BOTH, ['ua_events'], ['campaign_metrics']] as TableName[][]) {
      const before = await calendarCodesBefore(h.pool, first, to, tables);
      const all = await calendarCodes(h.pool, first, to, tables);
      const page = await calendarCodes(h.pool, first, to, tables, ids);
      expect([...page.keys()].sort()).toEqual([...ids].sort());
      for (const id of ids) {
        expect(all.get(id), `${id} ${tables.join()}`).toBe(before.get(id));
        expect(page.get(id), `${id} ${tables.join()}`).toBe(before.get(id));
      }
      // The whole test database: every integration other files left there codes the same too.
      expect(new Map([...all].sort())).toEqual(new Map([...before].sort()));
    }
    // What the histories mean, spelled out for `a` (day 1 onwards; day 0 and day 39 never exported).
    const codes = (await calendarCodes(h.pool, first, to, BOTH, [a.id])).get(a.id)!;
    expect(codes).toHaveLength(40);
    expect(codes.slice(0, 12)).toBe('mefrmmmxfrxx');
    expect(codes.at(-1)).toBe('m');
    expect((await calendarCodes(h.pool, first, to, BOTH, [c.id])).get(c.id)).toBe('m'.repeat(40));
  });

  it('keeps the calendar strips exact: concurrent writes to one year, year ends, a leap day, changes made by hand', async () => {
    // Every day and table of a range over two year ends and 2028-02-29 gets an outcome, all written at
    // once (the pool's connections race on the same strip rows): no letter may be lost.
    const integration = await h.integration();
    const id = integration.id;
    const first = '2027-12-20';
    const to = '2029-01-10';
    const outcomes = ['succeeded', 'failed', 'running', 'cancelled', 'succeeded'] as const;
    const days = [first, '2027-12-31', '2028-01-01', '2028-02-28', '2028-02-29', '2028-03-01', '2028-12-30', '2028-12-31', '2029-01-01', to];
    for (let d = 0; d < 40; d++) days.push(addDays('2028-06-01', d));
    await Promise.all(days.flatMap((day, d) => BOTH.map((table, t) => attempt(id, day, table, outcomes[(d + 4 * t) % outcomes.length]!, d % 3 === 0 ? 0 : 7))));
    const same = async () => {
      for (const tables of [BOTH, ['ua_events'], ['campaign_metrics']] as TableName[][]) {
        const before = await calendarCodesBefore(h.pool, first, to, tables);
        expect((await calendarCodes(h.pool, first, to, tables, [id])).get(id), tables.join()).toBe(before.get(id));
      }
    };
    await same();
    const codes = (await calendarCodes(h.pool, first, to, BOTH, [id])).get(id)!;
    expect(codes).toHaveLength(388);
    expect(new Set(codes)).toEqual(new Set(['x', 'e', 'f', 'r', 'm']));
    // Day 366 of 2028 is its own letter, not 2029's first.
    const { rows } = await h.pool.query<{ year: number; n: number }>(
      'SELECT year, length(states) AS n FROM export_year_strip WHERE integration_id = $1 ORDER BY year, table_name',
      [id],
    );
    expect(rows.map((r) => `${r.year}:${r.n}`)).toEqual(['2027:365', '2027:365', '2028:366', '2028:366', '2029:365', '2029:365']);
    // Changes made to export_day_state by hand (a fix, a removal) reach the calendar as well.
    await h.pool.query(`UPDATE export_day_state SET status = 'succeeded', rows = 5 WHERE integration_id = $1 AND day = '2028-02-29'`, [id]);
    await h.pool.query(`DELETE FROM export_day_state WHERE integration_id = $1 AND day = '2028-12-31' AND table_name = 'ua_events'`, [id]);
    await h.pool.query(`UPDATE export_day_state SET day = '2028-07-30' WHERE integration_id = $1 AND day = '2028-01-01' AND table_name = 'campaign_metrics'`, [
      id,
    ]);
    await same();
    const after = (await calendarCodes(h.pool, first, to, BOTH, [id])).get(id)!;
    expect(after[dayCount(first, '2028-02-29') - 1]).toBe('x');
    // The rebuild (the migration's fill, the benches' bulk loads) writes exactly what the trigger kept:
    // a day without a state is '-' (no attempt), never a letter of a state it does not have.
    const strips = async () =>
      (
        await h.pool.query<{ k: string }>(
          `SELECT year || table_name || states AS k FROM export_year_strip WHERE integration_id = $1 ORDER BY year, table_name`,
          [id],
        )
      ).rows.map((r) => r.k);
    const kept = await strips();
    expect(kept.join('')).toMatch(/-{30}/);
    await h.pool.query('SELECT refill_export_year_strip()');
    expect(await strips()).toEqual(kept);
  });
});
