import { describe, expect, it } from 'vitest';
import { backfillView as backfill } from '../helpers/cli-fixtures.js';
import type { BackfillView } from '../../src/cli/types.js';
import { ApiRequestError, CliError } from '../../src/cli/client.js';
import { abortableSleep, barPayload, lineReporter, progressKey, watchBackfill, type ProgressReporter } from '../../src/cli/watch.js';

function recorder(): ProgressReporter & { updates: BackfillView[]; warnings: string[]; stopped: number } {
  const r = {
    updates: [] as BackfillView[],
    warnings: [] as string[],
    stopped: 0,
    update(b: BackfillView) {
      r.updates.push(b);
    },
    warn(m: string) {
      r.warnings.push(m);
    },
    stop() {
      r.stopped++;
    },
  };
  return r;
}

const noSleep = async () => undefined;
const now = () => new Date('2026-05-13T10:00:10.000Z');

describe('watchBackfill', () => {
  it('polls until the backfill is no longer running and returns its final state', async () => {
    const states = [backfill(), backfill({ completedDays: 1 }), backfill({ status: 'completed', completedDays: 3, finishedAt: '2026-05-13T10:00:09Z' })];
    let i = 0;
    const r = recorder();
    const result = await watchBackfill({
      read: async () => states[i++]!,
      reporter: r,
      intervalMs: 1000,
      signal: new AbortController().signal,
      sleep: noSleep,
      now,
    });
    expect(result).toEqual({ kind: 'finished', backfill: states[2] });
    expect(r.updates).toHaveLength(3);
    expect(r.stopped).toBe(1);
  });

  it('retries transient failures (5xx, unreachable) and reports them; gives up once they have lasted too long', async () => {
    const errors = [
      new ApiRequestError(503, { error: 'temporal_unavailable', message: 'Temporal could not be reached', details: [] }, {}, 'GET', '/'),
      new CliError('cannot reach the API', 2, true),
      new ApiRequestError(500, { error: 'internal_error', message: 'internal error', details: [] }, {}, 'GET', '/'),
    ];
    let i = 0;
    const r = recorder();
    const result = await watchBackfill({
      read: async () => {
        const e = errors[i++];
        if (e) throw e;
        return backfill({ status: 'completed', completedDays: 3 });
      },
      reporter: r,
      intervalMs: 1,
      signal: new AbortController().signal,
      sleep: noSleep,
      now,
    });
    expect(result.kind).toBe('finished');
    expect(r.warnings).toEqual(['Temporal could not be reached', 'cannot reach the API', 'internal error']);

    const always = new CliError('cannot reach the API', 2, true);
    let clock = 0;
    let reads = 0;
    await expect(
      watchBackfill({
        read: async () => {
          reads++;
          return Promise.reject(always);
        },
        reporter: recorder(),
        intervalMs: 1,
        signal: new AbortController().signal,
        sleep: async () => void (clock += 10_000),
        now: () => new Date(clock),
        giveUpAfterMs: 60_000,
      }),
    ).rejects.toBe(always);
    expect(reads).toBe(7);
  });

  it('stops at once on a non-transient error such as 404', async () => {
    const notFound = new ApiRequestError(404, { error: 'not_found', message: 'backfill x does not exist', details: [] }, {}, 'GET', '/');
    const r = recorder();
    await expect(
      watchBackfill({ read: async () => Promise.reject(notFound), reporter: r, intervalMs: 1, signal: new AbortController().signal, sleep: noSleep }),
    ).rejects.toBe(notFound);
    expect(r.stopped).toBe(1);
  });

  it('returns "interrupted" with the last state when the signal aborts (Ctrl-C), without waiting out the interval', async () => {
    const ac = new AbortController();
    const r = recorder();
    const started = Date.now();
    const p = watchBackfill({ read: async () => backfill({ completedDays: 1 }), reporter: r, intervalMs: 60_000, signal: ac.signal, now });
    setTimeout(() => ac.abort(), 20);
    const result = await p;
    expect(result.kind).toBe('interrupted');
    expect(result.kind === 'interrupted' && result.last?.completedDays).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.stopped).toBe(1);
  });
});

describe('reporters', () => {
  it('prints a line only when progress changes (not for the clock), and each new warning once', () => {
    const lines: string[] = [];
    const rep = lineReporter((l) => lines.push(l));
    rep.update(backfill(), now());
    rep.update(backfill(), new Date('2026-05-13T10:00:20.000Z'));
    rep.warn('Temporal could not be reached');
    rep.warn('Temporal could not be reached');
    rep.update(backfill({ completedDays: 1, rows: 10, bytes: 100 }), now());
    rep.update(backfill({ status: 'completed', completedDays: 3, rows: 30, bytes: 300 }), now());
    expect(lines).toEqual([
      'running: 0/3 days · 0 rows · 0 B · elapsed 10s · ETA --',
      'waiting: Temporal could not be reached',
      'running: 1/3 days · 10 rows · 100 B · elapsed 10s · ETA 20s',
      'completed: 3/3 days · 30 rows · 300 B · elapsed 10s',
    ]);
  });

  it('keys progress on everything but time', () => {
    expect(progressKey(backfill())).toBe(progressKey(backfill({ startedAt: '2020-01-01T00:00:00Z' })));
    expect(progressKey(backfill())).not.toBe(progressKey(backfill({ bytes: 1 })));
    expect(progressKey(backfill())).not.toBe(progressKey(backfill({ inProgressDays: ['2026-05-10'] })));
  });

  it('fills the bar payload', () => {
    expect(barPayload(backfill({ completedDays: 1, failedDays: [{ day: '2026-05-11', error: 'x' }], rows: 1500, bytes: 2048 }), now())).toEqual({
      extra: ' (1 failed)',
      rows: '1,500',
      bytes: '2.0 KiB',
      etaText: '5s',
    });
  });

  it('sleeps, waking early on abort', async () => {
    const ac = new AbortController();
    const t = Date.now();
    const p = abortableSleep(60_000, ac.signal);
    ac.abort();
    await p;
    expect(Date.now() - t).toBeLessThan(1000);
  });
});
