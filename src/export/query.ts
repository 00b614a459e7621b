import { dayWindow } from './days.js';
import type { ExportSettings } from './settings.js';
import {
  columnSpecs,
  REFUSAL_PREFIX,
  refusalGuard,
  tableSpec,
  type KeyColumn,
  type KeysetKey,
  type RowKey,
  type TableName,
  type TableSpec,
  type WindowSpec,
} from './tables.js';

/**
 * Builds the `COPY (SELECT …) TO STDOUT (FORMAT csv)` statement that streams one table-day, from the
 * table's spec (tables.ts). Postgres renders every value and writes the CSV itself (RFC 4180 quoting,
 * NULL as an empty field, an empty string as ""), which is what makes the export run near COPY speed.
 *
 * COPY takes no bind parameters, so every value is validated here and inlined as a quoted literal.
 */

export type { RowKey } from './tables.js';

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
export function keyColumnCount(table: TableName): number {
  return tableSpec(table).keyColumns.length;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Postgres's own timestamptz text under TimeZone=UTC, DateStyle=ISO, or an ISO-8601 instant.
const PG_TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(\+00|Z|\+00:00)?$/;
const EVENT_TYPE_RE = /^[a-z0-9_]{1,64}$/;
const INT64_RE = /^\d{1,19}$/;

export function sqlLiteral(value: string): string {
  if (value.includes('\u0000')) throw new RangeError('SQL literal must not contain NUL');
  return `'${value.replace(/'/g, "''")}'`;
}

function checked(value: string, re: RegExp, what: string): string {
  if (!re.test(value)) throw new RangeError(`${what} has an unexpected form: ${JSON.stringify(value)}`);
  return value;
}

export function buildSelect(input: QueryInput): string {
  const spec = tableSpec(input.table);
  const appId = sqlLiteral(checked(input.appId, UUID_RE, 'appId'));
  const cols = columnSpecs(spec.name, input.settings.sendUserAttributes)
    .map((c) => refusalGuard(spec, c))
    .join(', ');
  const offset = spec.cursor === 'ordinal' && input.after ? ` OFFSET ${checkedOrdinal(spec, input.after)}` : '';
  const where = [`t.app_id = ${appId}`, ...windowFilter(spec.window, input.day)];
  if (spec.cursor === 'keyset' && input.after) where.push(keysetPredicate(spec, input.after));
  if (spec.filteredBySettings) where.push(...settingsFilter(input.settings, input.historicalCutoff));
  // The leading key columns feed the resumable cursor; streamParts strips them from the file.
  const keys = spec.keyColumns.map((k) => `t.${k.name}, `).join('');
  return `SELECT ${keys}${cols} FROM ${spec.name} t` + ` WHERE ${where.join(' AND ')}` + ` ORDER BY ${spec.orderBy.map((c) => `t.${c}`).join(', ')}${offset}`;
}

export function windowFilter(window: WindowSpec, day: string): string[] {
  const w = dayWindow(day);
  const c = `t.${window.column}`;
  switch (window.kind) {
    case 'timestamp-range':
      return [`${c} >= ${sqlLiteral(w.start)}::timestamptz`, `${c} < ${sqlLiteral(w.end)}::timestamptz`];
    case 'date':
      return [`${c} = ${sqlLiteral(w.day)}::date`];
  }
}

/** `(orderBy…) > (key…)`: the rows after the cursor, in the order the index already has them. */
function keysetPredicate(spec: TableSpec, after: RowKey): string {
  const keys = spec.orderBy.map((name) => keyColumn(spec, name));
  if (!keys.every((k) => k.field in after)) throw new RangeError(`${spec.name} cursor must be a (${keys.map((k) => k.field).join(', ')}) key`);
  const key = after as KeysetKey;
  const values = keys.map((k) => keyLiteral(k, key[k.field]));
  return `(${keys.map((k) => `t.${k.name}`).join(', ')}) > (${values.join(', ')})`;
}

function keyColumn(spec: TableSpec, name: string): KeyColumn {
  const k = spec.keyColumns.find((c) => c.name === name);
  if (!k) throw new Error(`${spec.name}: ORDER BY column ${name} is not a key column, so the keyset cursor cannot hold it`);
  return k;
}

function keyLiteral(k: KeyColumn, value: string): string {
  switch (k.type) {
    case 'timestamp':
      return `${sqlLiteral(checked(value, PG_TIMESTAMP_RE, `cursor ${k.field}`))}::timestamptz`;
    case 'int64':
      return `${checked(value, INT64_RE, `cursor ${k.field}`)}::bigint`;
  }
}

function checkedOrdinal(spec: TableSpec, after: RowKey): number {
  if (!('ordinal' in after)) throw new RangeError(`${spec.name} cursor must be an ordinal`);
  if (!(Number.isSafeInteger(after.ordinal) && after.ordinal >= 0)) throw new RangeError(`cursor ordinal must be a non-negative integer, got ${after.ordinal}`);
  return after.ordinal;
}

/** The integration's settings as SQL predicates (alias t), for a table whose spec is filteredBySettings. */
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

/**
 * The message of a row the export refused (tables.ts refusalGuard): which row, which column, what it
 * holds and why. Null for any other error. Postgres reports the guard's failed cast as
 * `invalid input syntax for type integer: "<message>"`.
 */
export function refusedRow(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  // Refused by a format's encoder (formats/parquet-columns.ts) rather than by the SQL guard.
  if (err.message.startsWith(REFUSAL_PREFIX)) return err.message;
  const m = /^invalid input syntax for type integer: "(.*)"$/s.exec(err.message);
  return m?.[1]?.startsWith(REFUSAL_PREFIX) ? m[1] : null;
}

export function buildCopy(input: QueryInput): string {
  return `COPY (${buildSelect(input)}) TO STDOUT (FORMAT csv)`;
}

/**
 * Opens the transaction the export's COPY runs in, with planner settings chosen for a stream whose
 * consumer (the upload) is slower than Postgres. Without them, a day that is a large share of the
 * table gets a parallel seq scan plus an on-disk sort under Gather Merge, with JIT compilation: no
 * faster a COPY, but parallel workers that take database CPU from the rest of the export, and the
 * first byte only after the whole sort. With them the planner walks the table's ordered index
 * ((app_id, created_at, id); campaign_metrics' primary key) in key order: first byte at once, no temp
 * files, and a resumed attempt starts at its cursor instead of re-sorting the day.
 *
 * enable_sort = off is what makes that walk certain. Costed for the whole result (a COPY has no
 * LIMIT), a bitmap scan plus a sort often looks cheaper than the index walk, and which one wins turns
 * on the statistics of the last ANALYZE: the same day then gets its first byte at once after one
 * ANALYZE and only after sorting the whole day after the next. A file that fits one part then pays for
 * sorting the whole day before the single-request path can see it does not fit. Off, a sort is costed
 * out wherever an index gives the order; a table without one is still sorted. The figures are in
 * docs/BENCHMARKS.md ("The read's plan").
 *
 * REPEATABLE READ makes the whole transaction one snapshot, not just the COPY statement: a read taken
 * in the same transaction, or in another one that imports it (pg_export_snapshot()), sees exactly the
 * rows the file holds (the lookback's fingerprint, src/export/same-snapshot.ts). A read-only
 * transaction never gets a serialization failure, so this costs the export nothing.
 */
export const BEGIN_EXPORT_READ =
  'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off; ' +
  'SET LOCAL enable_sort = off; SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0';
// Why the two timeouts are off for this transaction only: a DBA's statement_timeout or
// idle_in_transaction_session_timeout (server, database or role default) is sized for interactive
// queries. The export is one long streaming read whose pace the destination sets: COPY is
// back-pressured by part uploads and may run for minutes on a slow provider, and after the last row
// the transaction sits idle while the final parts upload. Temporal's heartbeat and activity timeouts
// bound it instead. lock_timeout stays as configured: it only bounds the wait for the table's
// ACCESS SHARE lock before the first row (behind DDL such as a migration), never a healthy stream,
// and an attempt it fails is retried.
