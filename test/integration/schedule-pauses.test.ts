import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordRunStart } from '../../src/ledger/export-runs.js';
import { findMissedRuns, neverAttemptedDays } from '../../src/ops/missed-runs.js';
import { pausesBetween, recordPaused, recordResumed } from '../../src/ops/schedule-pauses.js';
import { recordScheduledOutcome } from '../../src/ops/scheduled-outcomes.js';
import { scheduledFiringOf } from '../../src/temporal/schedules.js';
import { setupHarness, type Harness } from '../helpers/harness.js';
import { pauseStretches } from '../helpers/pause-stretches.js';

/** The pause record and the lost-start query on Postgres (the workflow side: operations.test.ts). */

let h: Harness;
beforeAll(async () => {
  h = await setupHarness('pauses');
});
afterAll(async () => {
  await h?.close();
});

const stretches = (integrationId: string) => pauseStretches(h.pool, integrationId);

describe('schedule pauses', () => {
  it('a second pause keeps the stretch it is in; a resume closes it; a resume of a schedule that was not paused records nothing', async () => {
    const integration = await h.integration();
    await recordPaused(h.pool, integration.id, 'first');
    await recordPaused(h.pool, integration.id, 'second');
    expect(await stretches(integration.id)).toEqual([{ note: 'first', open: true }]);
    await recordResumed(h.pool, integration.id, true);
    await recordResumed(h.pool, integration.id, false);
    expect(await stretches(integration.id)).toEqual([{ note: 'first', open: false }]);
    await recordPaused(h.pool, integration.id, 'again');
    expect(await stretches(integration.id)).toEqual([
      { note: 'first', open: false },
      { note: 'again', open: true },
    ]);
  });

  it('a resume of a pause made outside ua-export records it from the end of the last stretch', async () => {
    const integration = await h.integration();
    await recordPaused(h.pool, integration.id, 'operator');
    await recordResumed(h.pool, integration.id, true);
    const [first] = await pausesBetween(h.pool, integration.id, new Date(0), new Date(Date.now() + 60_000));
    await recordResumed(h.pool, integration.id, true);
    const all = await pausesBetween(h.pool, integration.id, new Date(0), new Date(Date.now() + 60_000));
    expect(all).toHaveLength(2);
    expect(all[1]!.pausedAt).toBe(first!.resumedAt);
    expect(all[1]!.resumedAt).not.toBeNull();
  });

  it('a deleted integration takes its stretches with it', async () => {
    const integration = await h.integration();
    await recordPaused(h.pool, integration.id, 'x');
    await h.pool.query('DELETE FROM integrations WHERE id = $1', [integration.id]);
    expect(await stretches(integration.id)).toEqual([]);
  });
});

describe('days never attempted', () => {
  it('are the days with neither a ledger state for any table nor a scheduled outcome; a disabled integration owes none', async () => {
    const integration = await h.integration();
    await h.pool.query('UPDATE integrations SET created_at = $2 WHERE id = $1', [integration.id, new Date('2025-01-01T00:00:00Z')]);
    const run = {
      integrationId: integration.id,
      table: 'campaign_metrics' as const,
      day: '2025-03-02',
      workflowId: `wf-${integration.id}`,
      runId: randomUUID(),
    };
    await recordRunStart(h.pool, { ...run, kind: 'scheduled', objectKey: 'k', manifestKey: 'm' });
    await recordScheduledOutcome(h.pool, integration.id, '2025-03-04', 'config_failed', 'wrong key');
    expect(await neverAttemptedDays(h.pool, integration.id, '2025-03-01', '2025-03-05')).toEqual(['2025-03-01', '2025-03-03', '2025-03-05']);
    const reloaded = { ...integration, createdAt: '2025-01-01T00:00:00.000Z' };
    expect(await findMissedRuns(h.pool, reloaded, '2025-03-06', 5)).toEqual(
      ['2025-03-01', '2025-03-03', '2025-03-05'].map((day) => ({ day, scheduledAt: scheduledFiringOf(day).toISOString() })),
    );
    expect(await findMissedRuns(h.pool, { ...reloaded, enabled: false }, '2025-03-06', 5)).toEqual([]);
  });
});
