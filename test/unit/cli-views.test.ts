import { describe, expect, it } from 'vitest';
import { backfillView as backfill } from '../helpers/cli-fixtures.js';
import type { ExportsView, LedgerEntryView, ScheduleView } from '../../src/cli/types.js';
import { progressLine, renderBackfill, renderBackfillSummary, renderLedger, renderSchedule, renderTestConnection } from '../../src/cli/views.js';

const at = (s: number) => new Date(Date.parse('2026-05-13T10:00:00.000Z') + s * 1000);

describe('backfill progress and summary', () => {
  it('prints one progress line with days, rows, bytes, elapsed and ETA', () => {
    const b = backfill({ completedDays: 1, inProgressDays: ['2026-05-11'], rows: 1234, bytes: 58_061 });
    expect(progressLine(b, at(10))).toBe('running: 1/3 days (1 in progress) · 1,234 rows · 56.7 KiB · elapsed 10s · ETA 20s');
    expect(progressLine(backfill(), at(1))).toBe('running: 0/3 days · 0 rows · 0 B · elapsed 1s · ETA --');
    expect(progressLine(backfill({ cancelling: true }), at(1))).toMatch(/^cancelling: /);
  });

  it('summarises a completed backfill', () => {
    const b = backfill({ status: 'completed', completedDays: 3, rows: 600, bytes: 2048, finishedAt: '2026-05-13T10:00:42.000Z' });
    const text = renderBackfillSummary(b, at(50));
    expect(text.split('\n')[0]).toBe('Backfill completed');
    expect(text).toContain('days         3 total · 3 completed · 0 failed');
    expect(text).toContain('rows         600');
    expect(text).toContain('bytes        2.0 KiB (2,048 B)');
    expect(text).toContain('duration     42s');
    expect(text).toContain(`temporal ui  ${b.uiUrl}`);
  });

  it('lists each failed day with its error, and what did not run', () => {
    const b = backfill({
      status: 'failed',
      completedDays: 1,
      failedDays: [{ day: '2026-05-11', error: 'the secret access key does not match' }],
      error: 'stopped early: the secret access key does not match',
      finishedAt: '2026-05-13T10:00:05.000Z',
    });
    const text = renderBackfillSummary(b, at(9));
    expect(text.split('\n')[0]).toBe('Backfill failed');
    expect(text).toContain('3 total · 1 completed · 1 failed · 1 not run');
    expect(text).toContain('failed days  2026-05-11  the secret access key does not match');
    expect(text).toContain('error        stopped early: the secret access key does not match');
    const partial = renderBackfillSummary(
      backfill({
        status: 'completed_with_failures',
        completedDays: 2,
        failedDays: [{ day: '2026-05-10', error: 'x' }],
        finishedAt: '2026-05-13T10:00:05.000Z',
      }),
      at(9),
    );
    expect(partial.split('\n')[0]).toBe('Backfill completed with 1 failed day');
  });

  it('shows a running backfill with its ETA and the days being exported', () => {
    const text = renderBackfill(backfill({ completedDays: 2, inProgressDays: ['2026-05-12'] }), at(20));
    expect(text).toContain('status       running');
    expect(text).toContain('exporting    2026-05-12');
    expect(text).toContain('eta          10s');
    expect(text).not.toContain('worker');
  });

  it('says when no worker polls the queue of a running backfill, and since when', () => {
    const worker = { taskQueue: 'ua-export', polling: false, lastAccessTime: '2026-05-13T09:58:00.000Z', pollers: { workflow: 0, activity: 0 } };
    const text = renderBackfill(backfill({ completedDays: 1, progressSource: 'ledger', worker }), at(20));
    expect(text).toMatch(
      /^worker +none polling task queue ua-export since .*2026-05-13.*09:58.*: nothing progresses until a worker starts \(progress from the ledger\)$/m,
    );
    // A finished backfill needs no worker: nothing to warn about.
    expect(renderBackfill(backfill({ status: 'completed', completedDays: 3, finishedAt: '2026-05-13T10:00:05.000Z', worker }), at(20))).not.toContain('worker');
  });
});

describe('export ledger', () => {
  const entry = (
    day: string,
    table: LedgerEntryView['table'],
    status: LedgerEntryView['status'],
    rows: number | null = null,
    bytes: number | null = null,
    error: string | null = null,
  ): LedgerEntryView => ({
    day,
    table,
    status,
    rows,
    bytes,
    key: null,
    sha256: null,
    error,
    startedAt: null,
    finishedAt: null,
    workflowId: null,
    runId: null,
    kind: status === 'missing' ? null : 'scheduled',
    attempts: status === 'missing' ? 0 : 1,
  });

  it('puts each day on one line, tables in their canonical order, and lists gaps and failures', () => {
    const x: ExportsView = {
      integrationId: 'i-1',
      from: '2026-05-10',
      to: '2026-05-13',
      summary: { succeeded: 3, failed: 1, running: 0, cancelled: 0, missing: 4 },
      entries: [
        entry('2026-05-10', 'campaign_metrics', 'succeeded', 12, 1900),
        entry('2026-05-10', 'ua_events', 'succeeded', 1234, 58_061),
        entry('2026-05-11', 'campaign_metrics', 'missing'),
        entry('2026-05-11', 'ua_events', 'missing'),
        entry('2026-05-12', 'campaign_metrics', 'missing'),
        entry('2026-05-12', 'ua_events', 'missing'),
        entry('2026-05-13', 'campaign_metrics', 'succeeded', 0, 180),
        entry('2026-05-13', 'ua_events', 'failed', null, null, 'access denied'),
      ],
    };
    const lines = renderLedger(x).split('\n');
    expect(lines[0]).toBe('Exports of i-1, 2026-05-10 → 2026-05-13 (4 days, ua_events, campaign_metrics)');
    expect(lines[1]).toMatch(/^DAY\s+UA_EVENTS\s+ROWS\s+BYTES\s+CAMPAIGN_METRICS\s+ROWS\s+BYTES$/);
    expect(lines[2]).toMatch(/^2026-05-10\s+succeeded\s+1,234\s+56\.7 KiB\s+succeeded\s+12\s+1\.9 KiB$/);
    expect(lines[3]).toMatch(/^2026-05-11\s+missing\s+-\s+-\s+missing\s+-\s+-$/);
    expect(lines[5]).toMatch(/^2026-05-13\s+failed\s+-\s+-\s+succeeded\s+0\s+180 B$/);
    const text = lines.join('\n');
    expect(text).toContain('succeeded 3 · failed 1 · running 0 · cancelled 0 · missing 4');
    expect(text).toContain('gaps (never exported): 2026-05-11..2026-05-12');
    expect(text).toContain('  2026-05-13 ua_events: access denied');
  });
});

describe('test-connection', () => {
  it('marks each step ok, FAIL or skip', () => {
    const text = renderTestConnection({
      ok: false,
      endpoint: 'https://s3.test',
      bucket: 'b',
      probePrefix: 'f/_ua_export_probe/x',
      partChecksum: null,
      steps: [
        { name: 'put_object', ok: false, skipped: false, error: 'access denied: grant s3:PutObject', durationMs: 12 },
        { name: 'create_multipart_upload', ok: false, skipped: true, error: null, durationMs: 0 },
      ],
    });
    expect(text).toMatch(/^Connection FAILED: https:\/\/s3\.test, bucket b/);
    expect(text).toMatch(/FAIL\s+put_object\s+12 ms\s+access denied: grant s3:PutObject/);
    expect(text).toMatch(/skip\s+create_multipart_upload\s+-/);
    expect(text).not.toMatch(/checksum|Content-MD5/);
  });

  it.each([
    ['crc32', 'Parts will carry CRC32 checksums: this provider refused a wrong one, and the connection is TLS or loopback.'],
    ['sha256', 'Parts will carry SHA-256 checksums: this provider refused a wrong one.'],
    ['md5', 'Parts will carry Content-MD5.'],
  ] as const)('says how parts will prove their bytes: %s', (partChecksum, line) => {
    const steps = ['put_object', 'create_multipart_upload'].map((name) => ({
      name: name as 'put_object',
      ok: true,
      skipped: false,
      error: null,
      durationMs: 5,
    }));
    const text = renderTestConnection({ ok: true, endpoint: 'https://s3.test', bucket: 'b', probePrefix: 'p', partChecksum, steps });
    expect(text.split('\n').at(-1)).toBe(line);
  });
});

describe('the schedule', () => {
  const schedule = (over: Partial<ScheduleView> = {}): ScheduleView => ({
    scheduleId: 'ua-daily-i1',
    paused: false,
    note: null,
    nextRunTimes: ['2026-12-04T04:00:00.000Z', '2026-12-05T04:00:00.000Z'],
    recentRuns: [],
    pauses: [],
    uiUrl: 'http://ui/schedules/ua-daily-i1',
    ...over,
  });

  it('shows its state, next runs and that there are no runs yet; no pause section when never paused', () => {
    const text = renderSchedule(schedule());
    expect(text).toContain('state        active');
    expect(text).toContain('2026-12-04 04:00:00Z');
    expect(text).toContain('No recent runs.');
    expect(text).not.toContain('Pauses:');
  });

  it('lists recent runs and the recorded pauses, an open one as still paused', () => {
    const text = renderSchedule(
      schedule({
        paused: true,
        note: 'holiday',
        recentRuns: [
          {
            scheduledAt: '2026-12-03T04:00:00.000Z',
            startedAt: '2026-12-03T04:00:01.000Z',
            day: '2026-12-02',
            workflowId: 'ua-daily-i1-2026-12-03T04:00:00Z',
            runId: 'r1',
            status: 'completed',
          },
        ],
        pauses: [
          { pausedAt: '2026-12-03T09:00:00.000Z', resumedAt: null, note: 'holiday' },
          { pausedAt: '2026-11-20T08:00:00.000Z', resumedAt: '2026-11-21T08:00:00.000Z', note: 'bucket migration' },
        ],
      }),
    );
    expect(text).toContain('next runs    - (paused)');
    const [, runs, pauses] = text.split(/\n\n/);
    expect(runs).toMatch(/^Recent runs:\n/);
    expect(runs).toContain('2026-12-02');
    expect(runs).toContain('completed');
    expect(pauses!.split('\n')).toEqual([
      'Pauses:',
      expect.stringMatching(/^PAUSED\s+RESUMED\s+NOTE$/),
      expect.stringMatching(/^2026-12-03 09:00:00Z\s+still paused\s+holiday$/),
      expect.stringMatching(/^2026-11-20 08:00:00Z\s+2026-11-21 08:00:00Z\s+bucket migration$/),
    ]);
  });
});
