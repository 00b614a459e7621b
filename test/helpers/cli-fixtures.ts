import { PassThrough } from 'node:stream';
import type { BackfillView } from '../../src/cli/types.js';

/** A running three-day backfill as GET …/backfills/:id returns it; tests override what they vary. */
export function backfillView(over: Partial<BackfillView> = {}): BackfillView {
  return {
    backfillId: 'ua-backfill-i-2026-05-10-2026-05-12-all',
    workflowId: 'ua-backfill-i-2026-05-10-2026-05-12-all',
    runId: 'run',
    status: 'running',
    cancelling: false,
    from: '2026-05-10',
    to: '2026-05-12',
    tables: ['ua_events', 'campaign_metrics'],
    concurrency: 2,
    totalDays: 3,
    completedDays: 0,
    failedDays: [],
    inProgressDays: [],
    paused: false,
    rows: 0,
    bytes: 0,
    startedAt: '2026-05-13T10:00:00.000Z',
    finishedAt: null,
    error: null,
    uiUrl: 'http://temporal.test/namespaces/default/workflows/ua-backfill-i',
    progressSource: 'workflow',
    worker: { taskQueue: 'ua-export', polling: true, lastAccessTime: '2026-05-13T10:00:00.000Z', pollers: { workflow: 1, activity: 1 } },
    ...over,
  };
}

/** A stream standing in for stdout or stderr that keeps what the CLI wrote. */
export function sink(): PassThrough & { text(): string } {
  const s = new PassThrough() as PassThrough & { text(): string };
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.text = () => Buffer.concat(chunks).toString('utf8');
  return s;
}
