import { recordRunFinish } from '../src/ledger/export-runs.js';
import { bytesExported, exportDurationSeconds, rowsExported, scheduleLagSeconds } from '../src/metrics/export-metrics.js';
import { fileLogger, identity, type ActivityDeps, type FileRun } from './deps.js';
import { whileAlive } from './storage.js';

export interface RecordFileInput extends FileRun {
  rows: number;
  bytes: number;
  parts: number;
  sha256: string;
  startedAt: string;
  scheduledAt?: string;
}

export function createRecordFileExported(deps: ActivityDeps) {
  const logFor = fileLogger(deps);
  return async function recordFileExported(input: RecordFileInput): Promise<void> {
    await whileAlive(() =>
      recordRunFinish(deps.pool, identity(input), { status: 'succeeded', rows: input.rows, bytes: input.bytes, parts: input.parts, sha256: input.sha256 }),
    );
    logFor(input).info({ rows: input.rows, bytes: input.bytes, parts: input.parts, sha256: input.sha256 }, 'file exported');
    const now = Date.now();
    rowsExported.inc({ table: input.table }, input.rows);
    bytesExported.inc({ table: input.table }, input.bytes);
    exportDurationSeconds.observe({ table: input.table, kind: input.kind }, (now - Date.parse(input.startedAt)) / 1000);
    if (input.scheduledAt) scheduleLagSeconds.observe({ table: input.table }, (now - Date.parse(input.scheduledAt)) / 1000);
  };
}
