import { settingsFilter, windowFilter } from './query.js';
import type { SnapshotDb } from './same-snapshot.js';
import type { ExportSettings } from './settings.js';
import { tableSpec, type TableName } from './tables.js';

/**
 * A cheap fingerprint of what one table-day's export would read now: the row count plus an
 * order-independent hash of the rows' identities, computed by Postgres over the same window and
 * settings as the export query, so it walks the same (app_id, created_at, id) index and never sends a
 * row to the worker. XOR of a 64-bit hash per row does not depend on row order, and a delete plus an
 * insert that keeps the count still changes it (the new row has another id).
 *
 * ua_events rows are immutable events identified by `id`: the hash covers ids. campaign_metrics rows
 * are revised in place by ad networks (spend, installs), so the hash covers the whole row's text.
 *
 * What a delivered file records is taken in the export's own snapshot (same-snapshot.ts), so it is
 * the fingerprint of exactly the rows the file holds; the lookback's check is taken now, by a pool.
 */

export const FINGERPRINT_VERSION = 'v1';

export interface SourceFingerprint {
  rows: number;
  /** `v1:<rows>:<16 hex digits>`: what the ledger and the manifest record. */
  fingerprint: string;
}

export interface FingerprintInput {
  table: TableName;
  appId: string;
  day: string;
  settings: ExportSettings;
  /** Postgres text, as the integration row holds it. */
  historicalCutoff: string;
}

const ROW_HASH: Record<TableName, string> = {
  ua_events: 'hashint8extended(t.id, 0)',
  campaign_metrics: 'hashtextextended(t::text, 0)',
};

export function fingerprintQuery(input: FingerprintInput): string {
  const spec = tableSpec(input.table);
  const where = ['t.app_id = $1::uuid', ...windowFilter(spec.window, input.day)];
  if (spec.filteredBySettings) where.push(...settingsFilter(input.settings, input.historicalCutoff));
  return `SELECT count(*)::text AS rows, to_hex(COALESCE(bit_xor(${ROW_HASH[input.table]}), 0)) AS hash FROM ${spec.name} t WHERE ${where.join(' AND ')}`;
}

export async function sourceFingerprint(db: SnapshotDb, input: FingerprintInput): Promise<SourceFingerprint> {
  const { rows } = (await db.query(fingerprintQuery(input), [input.appId])) as { rows: { rows: string; hash: string }[] };
  const r = rows[0];
  if (!r) throw new Error('fingerprint query returned no row');
  return { rows: Number(r.rows), fingerprint: formatFingerprint(Number(r.rows), r.hash) };
}

export function formatFingerprint(rows: number, hexHash: string): string {
  return `${FINGERPRINT_VERSION}:${rows}:${hexHash.padStart(16, '0')}`;
}

/** The row count a fingerprint records, or null when it is not one this version wrote. */
export function fingerprintRows(fingerprint: string): number | null {
  const m = /^v1:(\d+):[0-9a-f]{16}$/.exec(fingerprint);
  return m ? Number(m[1]) : null;
}
