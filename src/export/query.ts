import { dayWindow } from './days.js';
import type { ExportSettings } from './settings.js';
import { columnsOf, renderSql, type TableName } from './tables.js';

/**
 * Builds the `COPY (SELECT …) TO STDOUT (FORMAT csv)` statement that streams one table-day.
 * Postgres renders every value and writes the CSV itself (RFC 4180 quoting, NULL as an empty field,
 * an empty string as ""), which is what makes the export run near COPY speed.
 *
 * COPY takes no bind parameters, so every value is validated here and inlined as a quoted literal.
 */

/** Where a part starts: after the row with this key (null: from the start of the file). */
export type RowKey =
  /** ua_events: keyset on (created_at, id); created_at kept as Postgres text, never a JS Date. */
  | { createdAt: string; id: string }
  /** campaign_metrics: ordinal within the primary-key order (a day has at most thousands of rows). */
  | { ordinal: number };

export interface QueryInput {
  table: TableName;
  appId: string;
  day: string;
  settings: ExportSettings;
  /** ISO instant; rows with event_datetime before it are left out when excludeHistoricalEvents is on. */
  historicalCutoff: string;
  after: RowKey | null;
}

/** Columns the stream carries before the CSV contract's columns, stripped by streamParts. */
export function keyColumnCount(table: TableName): 0 | 2 {
  return table === 'ua_events' ? 2 : 0;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Postgres's own timestamptz text under TimeZone=UTC, DateStyle=ISO, or an ISO-8601 instant.
const PG_TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(\+00|Z|\+00:00)?$/;
const EVENT_TYPE_RE = /^[a-z0-9_]{1,64}$/;

export function sqlLiteral(value: string): string {
  if (value.includes('\u0000')) throw new RangeError('SQL literal must not contain NUL');
  return `'${value.replace(/'/g, "''")}'`;
}

function checked(value: string, re: RegExp, what: string): string {
  if (!re.test(value)) throw new RangeError(`${what} has an unexpected form: ${JSON.stringify(value)}`);
  return value;
}

export function buildSelect(input: QueryInput): string {
  const { table, settings } = input;
  const appId = sqlLiteral(checked(input.appId, UUID_RE, 'appId'));
  const cols = columnsOf(table, settings.sendUserAttributes)
    .map(([name, render]) => renderSql(name, render))
    .join(', ');

  if (table === 'campaign_metrics') {
    const after = input.after;
    if (after && !('ordinal' in after)) throw new RangeError('campaign_metrics cursor must be an ordinal');
    if (after && !(Number.isSafeInteger(after.ordinal) && after.ordinal >= 0)) throw new RangeError(`cursor ordinal must be a non-negative integer, got ${after.ordinal}`);
    const offset = after ? ` OFFSET ${after.ordinal}` : '';
    return (
      `SELECT ${cols} FROM campaign_metrics t` +
      ` WHERE t.app_id = ${appId} AND t.date = ${sqlLiteral(dayWindow(input.day).day)}::date` +
      ` ORDER BY t.platform, t.campaign_id, t.adset_id, t.ad_id${offset}`
    );
  }

  const w = dayWindow(input.day);
  const where = [
    `t.app_id = ${appId}`,
    `t.created_at >= ${sqlLiteral(w.start)}::timestamptz`,
    `t.created_at < ${sqlLiteral(w.end)}::timestamptz`,
  ];
  if (input.after) {
    if (!('id' in input.after)) throw new RangeError('ua_events cursor must be a (createdAt, id) key');
    const ts = sqlLiteral(checked(input.after.createdAt, PG_TIMESTAMP_RE, 'cursor createdAt'));
    const id = checked(input.after.id, /^\d{1,19}$/, 'cursor id');
    where.push(`(t.created_at, t.id) > (${ts}::timestamptz, ${id}::bigint)`);
  }
  where.push(...settingsFilter(settings, input.historicalCutoff));
  // The two leading key columns feed the resumable cursor; streamParts strips them from the file.
  return (
    `SELECT t.id, t.created_at, ${cols} FROM ua_events t` +
    ` WHERE ${where.join(' AND ')}` +
    ` ORDER BY t.created_at, t.id`
  );
}

/** The integration's settings as SQL predicates on ua_events (alias t). */
export function settingsFilter(settings: ExportSettings, historicalCutoff: string): string[] {
  const out: string[] = [];
  if (settings.excludeHistoricalEvents) {
    out.push(`t.event_datetime >= ${sqlLiteral(checked(historicalCutoff, PG_TIMESTAMP_RE, 'historicalCutoff'))}::timestamptz`);
  }
  if (!settings.includeEventsWithoutProfile) out.push('t.profile_id IS NOT NULL');
  if (settings.eventTypes !== null) {
    const types = settings.eventTypes.map((t) => sqlLiteral(checked(t, EVENT_TYPE_RE, 'event type')));
    out.push(types.length === 0 ? 'false' : `lower(t.event_type) IN (${types.join(', ')})`);
  }
  return out;
}

export function buildCopy(input: QueryInput): string {
  return `COPY (${buildSelect(input)}) TO STDOUT (FORMAT csv)`;
}

/**
 * Opens the transaction the export's COPY runs in, with planner settings chosen for a stream whose
 * consumer (the upload) is slower than Postgres. Without them, a day that is a large share of the
 * table gets a parallel seq scan plus an on-disk sort under Gather Merge, with JIT compilation:
 * measured on 1M rows, the same wall time for the COPY alone but ~2 more core-seconds of database CPU,
 * and the first byte only after the whole sort. With them the planner walks the
 * (app_id, created_at, id) index in key order: first byte at once, no temp files, and a resumed
 * attempt starts at its cursor instead of re-sorting the day (docs/BENCHMARKS.md).
 */
export const BEGIN_EXPORT_READ = 'BEGIN READ ONLY; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off';
