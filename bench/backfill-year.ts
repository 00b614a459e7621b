/**
 * A year-long backfill: 365 days of an app with 20,000 events a day, exported by the real worker run as
 * the Dockerfile runs it, sampled every second (test/chaos/soak.ts does the running and sampling).
 *
 *   npm run bench:backfill-year
 *   npm run bench:backfill-year -- --days 120 --rows-per-day 5000 --concurrency 8
 *
 * Prints: the worker's RSS over the run (peak against the 256 MB bar), the backfill's workflow history
 * per run (it continues as new every DAYS_PER_RUN days, so no run's history grows with the range), and
 * the export rate of the first and the last 30 days (rows per second of wall, from the ledger's
 * started_at / finished_at) so a slowdown over the year shows. Wall times are noisy on a shared machine;
 * RSS and history lengths are not.
 */
import { parseArgs } from 'node:util';
import { loadEnv } from '../src/config/env.js';
import { DAYS_PER_RUN } from '../workflows/backfill.js';
import { runSoak, RSS_BAR_BYTES } from '../test/chaos/soak.js';

const YEAR_APP_ID = '00000000-0000-4000-8000-0000000365d0';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '365' },
    'rows-per-day': { type: 'string', default: '20000' },
    concurrency: { type: 'string' },
    'worker-env': { type: 'string', default: '' },
    'worker-node-flags': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(`usage: npm run bench:backfill-year -- [--days 365] [--rows-per-day 20000] [--concurrency C] [--worker-env K=V,…] [--worker-node-flags="…"]`);
  process.exit(0);
}
const positive = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};
const days = positive('days', values.days);
const rowsPerDay = positive('rows-per-day', values['rows-per-day']);
const MiB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

interface DayRun {
  day: string;
  rows: number;
  startedAt: number;
  finishedAt: number;
}
let dayRuns: DayRun[] = [];
let historyRuns: { runId: string; historyLength: number; status: string }[] = [];

const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());

const report = await runSoak({
  env: loadEnv(),
  minutes: 24 * 60,
  maxBackfills: 1,
  days,
  rowsPerDay,
  appId: YEAR_APP_ID,
  // Not the soak's: a soak started meanwhile empties its database's integrations, which ended one year run here.
  database: 'ua_export_backfill_year',
  from: '2024-01-01',
  concurrency: values.concurrency ? positive('concurrency', values.concurrency) : undefined,
  workerEnv: Object.fromEntries(
    values['worker-env']
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ),
  nodeFlags: values['worker-node-flags']?.split(' ').filter(Boolean),
  signal: stop.signal,
  afterBackfill: async ({ integrationId, workflowId, client, pool }) => {
    const { rows } = await pool.query<{ day: string; rows: string; started: string; finished: string }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(rows)::text AS rows, extract(epoch FROM min(started_at))::text AS started,
              extract(epoch FROM max(finished_at))::text AS finished
         FROM export_runs WHERE integration_id = $1 AND status = 'succeeded' GROUP BY day ORDER BY day`,
      [integrationId],
    );
    dayRuns = rows.map((r) => ({ day: r.day, rows: Number(r.rows), startedAt: Number(r.started), finishedAt: Number(r.finished) }));
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      historyRuns.push({ runId: w.runId, historyLength: w.historyLength, status: w.status.name });
    }
    historyRuns = historyRuns.reverse();
  },
});

/** Rows per second of wall over a stretch of consecutive days: first start to last finish. */
const rate = (span: DayRun[]) => {
  const rows = span.reduce((a, d) => a + d.rows, 0);
  const wall = Math.max(...span.map((d) => d.finishedAt)) - Math.min(...span.map((d) => d.startedAt));
  return { rows, wall, perSecond: rows / wall, daysPerSecond: span.length / wall };
};
const b = report.backfills[0];
const lines = [
  `worker: ${report.worker.entry} ${report.worker.nodeFlags.join(' ')}`,
  `backfill: ${days} days × ${rowsPerDay} events, concurrency ${report.options.concurrency}; ` +
    (b
      ? `${b.completedDays} days exported, ${b.failedDays} failed, ${b.rows.toLocaleString('en-US')} rows, ${MiB(b.bytes)} in ${b.seconds.toFixed(0)} s`
      : 'did not finish'),
  `worker RSS: at ready ${MiB(report.worker.rssAtReady)}, peak ${MiB(report.metrics.rss.peak)}, last ${MiB(report.metrics.rss.last)}, VmHWM ${MiB(report.metrics.hwm.peak)} ` +
    `(bar < ${MiB(RSS_BAR_BYTES)}: ${report.metrics.hwm.peak < RSS_BAR_BYTES ? 'PASS' : 'MISS'}); main heap peak ${MiB(report.metrics.heapUsed.peak)}, external peak ${MiB(report.metrics.external.peak)}`,
  `workflow history: ${historyRuns.length} run(s) (continue-as-new every ${DAYS_PER_RUN} days), events per run ${historyRuns.map((h) => h.historyLength).join(', ')}`,
];
if (dayRuns.length >= 60) {
  const first = rate(dayRuns.slice(0, 30));
  const last = rate(dayRuns.slice(-30));
  lines.push(
    `rate, first 30 days: ${Math.round(first.perSecond).toLocaleString('en-US')} rows/s (${first.daysPerSecond.toFixed(2)} days/s); ` +
      `last 30 days: ${Math.round(last.perSecond).toLocaleString('en-US')} rows/s (${last.daysPerSecond.toFixed(2)} days/s); last ÷ first ${(last.perSecond / first.perSecond).toFixed(2)}`,
  );
}
// RSS by tenths of the run, so a climb shows as well as the peak.
const tenths = Array.from({ length: 10 }, (_, i) => report.samples.filter((s) => Math.floor((s.t / (report.samples.at(-1)?.t ?? 1)) * 10) === i));
lines.push(`RSS max per tenth of the run: ${tenths.map((t) => (t.length ? (Math.max(...t.map((s) => s.rss)) / 2 ** 20).toFixed(0) : '–')).join(', ')} MiB`);
const sm = b?.end.smaps;
if (b && sm)
  lines.push(
    `at the end: main heap ${MiB(b.end.heapUsed)} used / ${MiB(b.end.heapTotal)}, external ${MiB(b.end.external)}; smaps: file ${MiB(sm.file)}, anon in ≥1 MiB mappings ${MiB(sm.anonLarge)}, anon in small mappings ${MiB(sm.anonSmall)}`,
  );
lines.push(
  `descriptors ${report.metrics.fds.first} → ${report.metrics.fds.last} (peak ${report.metrics.fds.peak}); threads peak ${report.metrics.threads.peak}`,
);
console.log(lines.join('\n'));
process.exitCode = stop.signal.aborted ? 130 : 0;
