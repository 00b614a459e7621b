import { addDays } from '../src/export/days.js';
import { sourceFingerprint } from '../src/export/fingerprint.js';
import type { TableName } from '../src/export/tables.js';
import { getIntegration, type Integration } from '../src/integrations/repo.js';
import { deliveredFingerprints } from '../src/ledger/fingerprints.js';
import type { ActivityDeps } from './deps.js';
import { loadingIntegration } from './failures.js';

export interface LookbackInput {
  integrationId: string;
  /** The day the scheduled run exported: the lookback covers the lookbackDays before it. */
  day: string;
}

export interface ChangedDay {
  day: string;
  tables: { table: TableName; rowsBefore: number; rowsAfter: number; before: string; after: string }[];
}

/**
 * Compares each delivered day in the lookback window with its source now, by fingerprint (one
 * aggregate query per table-day in Postgres; no row leaves the database). Days never delivered,
 * failed, or delivered before fingerprints were recorded are not compared.
 */
export async function changedDaysBefore(deps: ActivityDeps, integration: Integration, day: string): Promise<ChangedDay[]> {
  if (integration.lookbackDays <= 0) return [];
  const delivered = await deliveredFingerprints(deps.pool, integration.id, addDays(day, -integration.lookbackDays), addDays(day, -1));
  const changed = new Map<string, ChangedDay>();
  for (const d of delivered) {
    const now = await sourceFingerprint(deps.pool, {
      table: d.table,
      appId: integration.appId,
      day: d.day,
      settings: integration.settings,
      historicalCutoff: integration.historicalCutoff,
    });
    if (now.fingerprint === d.fingerprint) continue;
    const entry = changed.get(d.day) ?? { day: d.day, tables: [] };
    entry.tables.push({ table: d.table, rowsBefore: d.rows, rowsAfter: now.rows, before: d.fingerprint, after: now.fingerprint });
    changed.set(d.day, entry);
  }
  return [...changed.values()];
}

/** The lookback alone, as histories recorded before reviewRecentDays replay it. */
export function createCheckLookback(deps: ActivityDeps) {
  return async function checkLookback(input: LookbackInput): Promise<ChangedDay[]> {
    const integration = await loadingIntegration(getIntegration(deps.pool, input.integrationId));
    return changedDaysBefore(deps, integration, input.day);
  };
}
