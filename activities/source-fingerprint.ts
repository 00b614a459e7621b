import { sourceFingerprint } from '../src/export/fingerprint.js';
import type { SameSnapshotRead } from '../src/export/same-snapshot.js';
import type { Integration } from '../src/integrations/repo.js';
import { recordSourceFingerprint } from '../src/ledger/fingerprints.js';
import type { Logger } from '../src/logging.js';
import { identity, type ActivityDeps, type FileRun } from './deps.js';

/**
 * The lookback's record of what a file delivered (issue 12): the source fingerprint of the table-day,
 * taken in the snapshot the file's COPY reads (src/export/same-snapshot.ts), so it counts exactly the
 * file's rows and a row committed while the file streams is in neither: the next lookback sees the
 * day changed and re-delivers it. Recorded in the ledger as soon as it is known, for the manifest and
 * for a resumed attempt.
 *
 * Only an attempt that reads the file from its first row takes it (`fromStart`). A resumed attempt
 * reads the rest of the file in a later snapshot than the rows before its cursor, so no one snapshot
 * describes the file; its fingerprint would hide a row deleted or inserted before the cursor between
 * the attempts. The rule is: the recorded fingerprint comes from the EARLIEST snapshot any part of the
 * file was read in (the first attempt's). Any change to the source after that snapshot then differs
 * from it, so the lookback re-delivers the day; a change after the cursor that the file already has
 * costs one needless, harmless redelivery. If that first attempt died before its fingerprint was
 * recorded, the run has none and the lookback leaves the day out, as it does a day whose fingerprint
 * failed.
 *
 * The lookback is a safety net, not the delivery: a failure here is logged and never fails the export.
 */
export function fingerprintInSnapshot(
  deps: Pick<ActivityDeps, 'pool' | 'beforeFingerprint'>,
  run: FileRun,
  integration: Integration,
  log: Logger,
  opts: { mode: SameSnapshotRead['mode']; fromStart: boolean },
): SameSnapshotRead | undefined {
  // It costs one pass over the day's index entries (docs/BENCHMARKS.md, "Lookback"): only integrations
  // that look back pay it. A day delivered while lookback was off has no fingerprint and is not re-checked.
  if (integration.lookbackDays <= 0 || !opts.fromStart) return undefined;
  return {
    mode: opts.mode,
    async run(db) {
      await deps.beforeFingerprint?.();
      const fp = await sourceFingerprint(db, {
        table: run.table,
        appId: integration.appId,
        day: run.day,
        settings: integration.settings,
        historicalCutoff: integration.historicalCutoff,
      });
      await recordSourceFingerprint(deps.pool, identity(run), fp.fingerprint);
    },
    failed(err) {
      log.warn({ err: { message: err.message } }, 'source fingerprint not recorded; the lookback skips this day');
    },
  };
}
