import { sourceFingerprint } from '../src/export/fingerprint.js';
import type { Integration } from '../src/integrations/repo.js';
import { recordSourceFingerprint } from '../src/ledger/fingerprints.js';
import type { Logger } from '../src/logging.js';
import { identity, type ActivityDeps, type FileRun } from './deps.js';

/**
 * Records what the source holds for this table-day right before the export reads it. Taken before the
 * COPY, never after: a row that lands in between makes the file differ from the fingerprint, so the
 * next lookback re-delivers the day (a needless redelivery at worst), whereas a fingerprint taken
 * after the COPY could vouch for a row the file lacks and the lookback would never notice.
 * The lookback is a safety net, not the delivery: a failure here is logged and never fails the export
 * (the day then has no fingerprint and the lookback skips it).
 */
export async function captureSourceFingerprint(deps: Pick<ActivityDeps, 'pool'>, run: FileRun, integration: Integration, log: Logger): Promise<void> {
  // It costs one pass over the day's index entries (docs/BENCHMARKS.md, "Lookback"): only integrations
  // that look back pay it. A day delivered while lookback was off has no fingerprint and is not re-checked.
  if (integration.lookbackDays <= 0) return;
  try {
    const fp = await sourceFingerprint(deps.pool, {
      table: run.table,
      appId: integration.appId,
      day: run.day,
      settings: integration.settings,
      historicalCutoff: integration.historicalCutoff,
    });
    await recordSourceFingerprint(deps.pool, identity(run), fp.fingerprint);
  } catch (err) {
    log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'source fingerprint not recorded; the lookback skips this day');
  }
}
