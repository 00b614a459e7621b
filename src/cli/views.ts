import {
  compactDayRanges,
  estimateEtaMs,
  formatBytes,
  formatBytesExact,
  formatDuration,
  formatEta,
  formatInstant,
  formatRows,
  renderKeyValue,
  renderTable,
  truncate,
  yesNo,
} from './format.js';
import { TABLES } from '../export/tables.js';
import type {
  BackfillListView,
  BackfillStartedView,
  BackfillView,
  CancelBackfillView,
  EventTypeCatalogView,
  ExportsView,
  IntegrationListView,
  IntegrationView,
  LedgerEntryView,
  PauseBackfillView,
  ScheduleView,
  TestConnectionView,
  TriggerView,
} from './types.js';

/** Human renderings of the API's answers. Pure: text in, text out (no trailing newline). */

function scheduleWord(i: IntegrationView): string {
  if (!i.schedule) return 'unknown';
  return i.schedule.paused ? 'paused' : 'active';
}

export function renderIntegrationList(list: IntegrationListView): string {
  if (list.integrations.length === 0) return 'No integrations yet. Create one with: ua-export integrations create --help';
  return renderTable(
    [{ header: 'ID' }, { header: 'APP ID' }, { header: 'ENABLED' }, { header: 'SCHEDULE' }, { header: 'DESTINATION' }, { header: 'LAST STATUS' }],
    list.integrations.map((i) => [
      i.id,
      i.appId,
      yesNo(i.enabled),
      scheduleWord(i),
      `${i.bucket}${i.folder ? `/${i.folder}` : ''}`,
      i.lastStatus ? `${i.lastStatus} ${formatInstant(i.lastStatusAt)}` : '-',
    ]),
  );
}

function settingsText(s: IntegrationView['settings']): string {
  return [
    `exclude historical events: ${yesNo(s.excludeHistoricalEvents)}`,
    `include events without profile: ${yesNo(s.includeEventsWithoutProfile)}`,
    `send user attributes: ${yesNo(s.sendUserAttributes)}`,
    `event types: ${s.eventTypes === null ? 'all' : s.eventTypes.join(', ')}`,
  ].join('\n');
}

export function renderIntegration(i: IntegrationView): string {
  const pairs: [string, string][] = [
    ['id', i.id],
    ['app id', i.appId],
    ['endpoint', `${i.endpointUrl}${i.forcePathStyle ? ' (path-style)' : ' (virtual-hosted style)'}`],
    ['region', i.region],
    ['bucket', i.bucket],
    ['folder', i.folder || '-'],
    ['access key id', i.accessKeyId],
    ['enabled', yesNo(i.enabled)],
    ['settings', settingsText(i.settings)],
    ['format', `${i.format}${i.compression ? ` (${i.compression})` : ''}`],
    ['historical cutoff', formatInstant(i.historicalCutoff)],
    ['created', formatInstant(i.createdAt)],
    ['updated', formatInstant(i.updatedAt)],
    ['last status', i.lastStatus ? `${i.lastStatus} at ${formatInstant(i.lastStatusAt)}` : '-'],
  ];
  if (i.lastError) pairs.push(['last error', i.lastError]);
  if (i.schedule) {
    const s = i.schedule;
    pairs.push(['schedule', `${s.paused ? 'paused' : 'active'}${s.note ? ` (${s.note})` : ''}`]);
    pairs.push(['next run', s.paused ? '- (paused)' : formatInstant(s.nextRunTimes[0])]);
    pairs.push(['temporal ui', s.uiUrl]);
  } else {
    pairs.push(['schedule', 'unknown (Temporal did not answer, or the schedule is missing)']);
  }
  // issue 12 (operations); fields absent when talking to an older API
  if (i.schedule?.autoPaused) pairs.push(['auto-paused', `since ${i.schedule.autoPaused.since}: ${i.schedule.autoPaused.reason}`]);
  if (i.alerts !== undefined) pairs.push(['alerts', i.alerts ? `${i.alerts.format} → ${i.alerts.webhookUrl}${i.alerts.hasSecret ? ' (signed)' : ''}` : '-']);
  if (i.lookbackDays !== undefined) pairs.push(['lookback', i.lookbackDays > 0 ? `${i.lookbackDays} day(s)` : 'off']);
  if (i.autoPauseAfterFailedDays !== undefined)
    pairs.push(['auto-pause', i.autoPauseAfterFailedDays > 0 ? `after ${i.autoPauseAfterFailedDays} failed day(s)` : 'never']);
  return renderKeyValue(pairs);
}

const PART_CHECKSUM_TEXT = {
  crc32: 'Parts will carry CRC32 checksums: this provider refused a wrong one, and the connection is TLS or loopback.',
  sha256: 'Parts will carry SHA-256 checksums: this provider refused a wrong one.',
  md5: 'Parts will carry Content-MD5.',
} as const;

export function renderTestConnection(r: TestConnectionView): string {
  const head = r.ok
    ? `Connection OK: ${r.endpoint}, bucket ${r.bucket} (probe objects under ${r.probePrefix} written and removed)`
    : `Connection FAILED: ${r.endpoint}, bucket ${r.bucket}`;
  const rows = r.steps.map((s) => [s.skipped ? 'skip' : s.ok ? 'ok' : 'FAIL', s.name, s.skipped ? '-' : `${s.durationMs} ms`, s.error ?? '']);
  const table = renderTable([{ header: 'RESULT' }, { header: 'STEP' }, { header: 'TIME', align: 'right' }, { header: 'ERROR' }], rows);
  return `${head}\n${table}${r.partChecksum ? `\n${PART_CHECKSUM_TEXT[r.partChecksum]}` : ''}`;
}

export function renderEventTypes(c: EventTypeCatalogView): string {
  return c.groups.map((g) => `${g.label} (${g.group}):\n${g.types.map((t) => `  ${t}`).join('\n')}`).join('\n');
}

const statusText = (s: string) => s.replace(/_/g, ' ');

export function renderBackfillStarted(b: BackfillStartedView, integrationId: string): string {
  return [
    `Backfill ${b.backfillId} ${b.status} (${b.totalDays} day${b.totalDays === 1 ? '' : 's'})`,
    `  temporal ui  ${b.uiUrl}`,
    `  progress     ua-export backfill status ${integrationId} ${b.backfillId} --watch`,
    `  cancel       ua-export backfill cancel ${integrationId} ${b.backfillId}`,
  ].join('\n');
}

/** Days finished either way: completed plus failed. */
export const daysDone = (b: Pick<BackfillView, 'completedDays' | 'failedDays'>): number => b.completedDays + b.failedDays.length;

function durationOf(b: Pick<BackfillView, 'startedAt' | 'finishedAt'>, now: Date): string {
  const end = b.finishedAt ? Date.parse(b.finishedAt) : now.getTime();
  return formatDuration(end - Date.parse(b.startedAt));
}

function daysText(b: BackfillView): string {
  const parts = [`${b.totalDays} total`, `${b.completedDays} completed`, `${b.failedDays.length} failed`];
  if (b.inProgressDays.length > 0) parts.push(`${b.inProgressDays.length} in progress`);
  const notRun = b.totalDays - daysDone(b) - b.inProgressDays.length;
  if (b.finishedAt && notRun > 0) parts.push(`${notRun} not run`);
  return parts.join(' · ');
}

function failedDaysText(b: BackfillView): string {
  return b.failedDays.map((f) => `${f.day}  ${f.error}`).join('\n');
}

/** `backfill status`: where a backfill stands. */
export function renderBackfill(b: BackfillView, now: Date): string {
  const status = b.cancelling ? 'running (cancelling)' : b.status === 'running' && b.paused === true ? 'running (paused)' : statusText(b.status);
  const pairs: [string, string][] = [
    ['backfill', b.backfillId],
    ['status', status],
    ['range', `${b.from} → ${b.to} (${b.tables.join(', ')}), ${b.concurrency} at a time`],
    ['days', daysText(b)],
  ];
  if (b.inProgressDays.length > 0) pairs.push(['exporting', b.inProgressDays.join(', ')]);
  if (b.failedDays.length > 0) pairs.push(['failed days', failedDaysText(b)]);
  pairs.push(['rows', formatRows(b.rows)], ['bytes', formatBytesExact(b.bytes)]);
  pairs.push(['started', formatInstant(b.startedAt)]);
  if (b.finishedAt) pairs.push(['finished', formatInstant(b.finishedAt)]);
  pairs.push(['duration', durationOf(b, now)]);
  if (b.status === 'running' && !b.cancelling)
    pairs.push(['eta', formatEta(estimateEtaMs({ startedAt: b.startedAt, now, done: daysDone(b), total: b.totalDays }))]);
  if (b.error) pairs.push(['error', b.error]);
  // Only a running backfill needs a worker; an older API answers without the field.
  if (b.status === 'running' && b.worker && !b.worker.polling) pairs.push(['worker', noWorkerText(b.worker, b.progressSource)]);
  pairs.push(['temporal ui', b.uiUrl]);
  return renderKeyValue(pairs);
}

function noWorkerText(w: BackfillView['worker'], source: BackfillView['progressSource']): string {
  const since = w.lastAccessTime ? ` since ${formatInstant(w.lastAccessTime)}` : '';
  return `none polling task queue ${w.taskQueue}${since}: nothing progresses until a worker starts${source === 'ledger' ? ' (progress from the ledger)' : ''}`;
}

/** The summary printed when `--watch` sees a backfill end. */
export function renderBackfillSummary(b: BackfillView, now: Date): string {
  const headline =
    b.status === 'completed' && b.failedDays.length === 0
      ? 'Backfill completed'
      : b.status === 'completed' || b.status === 'completed_with_failures'
        ? `Backfill completed with ${b.failedDays.length} failed day${b.failedDays.length === 1 ? '' : 's'}`
        : `Backfill ${statusText(b.status)}`;
  const pairs: [string, string][] = [
    ['backfill', b.backfillId],
    ['range', `${b.from} → ${b.to} (${b.tables.join(', ')})`],
    ['days', daysText(b)],
  ];
  if (b.failedDays.length > 0) pairs.push(['failed days', failedDaysText(b)]);
  if (b.error) pairs.push(['error', b.error]);
  pairs.push(['rows', formatRows(b.rows)], ['bytes', formatBytesExact(b.bytes)], ['duration', durationOf(b, now)], ['temporal ui', b.uiUrl]);
  return `${headline}\n${renderKeyValue(pairs, '  ')}`;
}

/** One line of progress, for logs and pipes: "running: 2/7 days (1 failed, 2 in progress) · 1,234 rows · 56.7 KiB · elapsed 12s · ETA 30s". */
export function progressLine(b: BackfillView, now: Date): string {
  const extra: string[] = [];
  if (b.failedDays.length > 0) extra.push(`${b.failedDays.length} failed`);
  if (b.inProgressDays.length > 0) extra.push(`${b.inProgressDays.length} in progress`);
  const status = b.cancelling ? 'cancelling' : statusText(b.status);
  const eta =
    b.status === 'running' && !b.cancelling ? ` · ETA ${formatEta(estimateEtaMs({ startedAt: b.startedAt, now, done: daysDone(b), total: b.totalDays }))}` : '';
  return (
    `${status}: ${daysDone(b)}/${b.totalDays} days${extra.length ? ` (${extra.join(', ')})` : ''}` +
    ` · ${formatRows(b.rows)} rows · ${formatBytes(b.bytes)} · elapsed ${durationOf(b, now)}${eta}`
  );
}

export function renderBackfillList(list: BackfillListView): string {
  if (list.backfills.length === 0) return 'No backfills for this integration yet.';
  return renderTable(
    [{ header: 'BACKFILL ID' }, { header: 'STATUS' }, { header: 'FROM' }, { header: 'TO' }, { header: 'STARTED' }, { header: 'FINISHED' }],
    list.backfills.map((b) => [b.backfillId, b.status, b.from ?? '-', b.to ?? '-', formatInstant(b.startedAt), formatInstant(b.finishedAt)]),
  );
}

export function renderPause(p: PauseBackfillView, integrationId: string): string {
  const what = p.paused ? 'no new day starts; days already running finish. Its place is kept.' : 'days start again from the first one not yet started.';
  const next = p.paused
    ? `  resume it: ua-export backfill resume ${integrationId} ${p.backfillId}`
    : `  follow it: ua-export backfill status ${integrationId} ${p.backfillId} --watch`;
  return [`${p.paused ? 'Pausing' : 'Resuming'} ${p.backfillId}`, `  ${what}`, next].join('\n');
}

export function renderCancel(c: CancelBackfillView, integrationId: string): string {
  const what = c.message.replace(/^cancellation requested:\s*/i, '').replace(/\s*Poll GET.*$/, '');
  return [`Cancelling ${c.backfillId}`, `  ${what}`, `  follow it: ua-export backfill status ${integrationId} ${c.backfillId} --watch`].join('\n');
}

export function renderSchedule(s: ScheduleView): string {
  const pairs: [string, string][] = [
    ['schedule', s.scheduleId],
    ['state', s.paused ? 'paused' : 'active'],
    ['note', s.note ?? '-'],
    ['next runs', s.paused ? '- (paused)' : s.nextRunTimes.length ? s.nextRunTimes.slice(0, 3).map(formatInstant).join('\n') : '-'],
    ['temporal ui', s.uiUrl],
  ];
  const head = renderKeyValue(pairs);
  const runs =
    s.recentRuns.length === 0
      ? 'No recent runs.'
      : `Recent runs:\n${renderTable(
          [{ header: 'DAY' }, { header: 'STATUS' }, { header: 'STARTED' }, { header: 'WORKFLOW ID' }],
          s.recentRuns.map((r) => [r.day, r.status, formatInstant(r.startedAt), r.workflowId]),
        )}`;
  // Days whose run time fell in one of these were skipped on purpose; the API has the latest ten.
  const pauses =
    s.pauses.length === 0
      ? ''
      : `\n\nPauses:\n${renderTable(
          [{ header: 'PAUSED' }, { header: 'RESUMED' }, { header: 'NOTE' }],
          s.pauses.map((p) => [formatInstant(p.pausedAt), p.resumedAt ? formatInstant(p.resumedAt) : 'still paused', p.note]),
        )}`;
  return `${head}\n\n${runs}${pauses}`;
}

export function renderTrigger(t: TriggerView): string {
  return [`Triggered ${t.scheduleId}: exporting ${t.day}`, `  workflow     ${t.exportWorkflowId}`, `  temporal ui  ${t.uiUrl}`].join('\n');
}

function cell(e: LedgerEntryView | undefined): [string, string, string] {
  if (!e) return ['-', '', ''];
  const numbers = e.status === 'missing' || e.rows === null;
  return [
    e.attempts > 1 ? `${e.status} (${e.attempts} attempts)` : e.status,
    numbers ? '-' : formatRows(e.rows ?? 0),
    e.bytes === null ? '-' : formatBytes(e.bytes),
  ];
}

/** The export ledger: one line per day, status/rows/bytes per table; gaps and failures listed after. */
export function renderLedger(x: ExportsView): string {
  const present = new Set(x.entries.map((e) => e.table));
  const tables = [...TABLES.filter((t) => present.has(t)), ...[...present].filter((t) => !(TABLES as readonly string[]).includes(t))];
  const byDay = new Map<string, Map<string, LedgerEntryView>>();
  for (const e of x.entries) {
    let m = byDay.get(e.day);
    if (!m) byDay.set(e.day, (m = new Map<string, LedgerEntryView>()));
    m.set(e.table, e);
  }
  const days = [...byDay.keys()].sort();
  const columns = [
    { header: 'DAY' },
    ...tables.flatMap((t) => [{ header: t.toUpperCase() }, { header: 'ROWS', align: 'right' as const }, { header: 'BYTES', align: 'right' as const }]),
  ];
  const rows = days.map((d) => [d, ...tables.flatMap((t) => cell(byDay.get(d)!.get(t)))]);
  const s = x.summary;
  const lines = [
    `Exports of ${x.integrationId}, ${x.from} → ${x.to} (${days.length} day${days.length === 1 ? '' : 's'}, ${tables.join(', ') || 'no tables'})`,
    renderTable(columns, rows),
    '',
    `succeeded ${s.succeeded} · failed ${s.failed} · running ${s.running} · cancelled ${s.cancelled} · missing ${s.missing}`,
  ];
  const missingDays = days.filter((d) => [...byDay.get(d)!.values()].some((e) => e.status === 'missing'));
  if (missingDays.length > 0) lines.push(`gaps (never exported): ${compactDayRanges(missingDays).join(', ')}`);
  const failed = x.entries.filter((e) => e.status === 'failed');
  if (failed.length > 0) {
    lines.push('failures:');
    for (const e of failed) lines.push(`  ${e.day} ${e.table}: ${truncate(e.error ?? 'no error recorded', 300)}`);
  }
  return lines.join('\n');
}
