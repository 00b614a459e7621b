import type { PartChecksum } from '../s3/part-checksum.js';
import type { PartBuffers } from './buffer-pool.js';
import { CopyRows } from './copy-rows.js';
import { csvHeader } from './csv.js';
import { fileEncoder } from './formats/encoder.js';
import { gatherRows, replay } from './gather-rows.js';
import { DEFAULT_OUTPUT, type OutputFormat } from './formats/format.js';
import { BEGIN_EXPORT_READ, buildCopy, keyColumnCount } from './query.js';
import { exportSnapshot, hasSpareConnection, readInSnapshot, type SameSnapshotRead, type SnapshotPool } from './same-snapshot.js';
import type { ExportSettings } from './settings.js';
import { streamParts, type Checkpoint, type StreamPartsResult } from './stream-parts.js';
import { columnNames, columnSpecs, tableSpec, type TableName } from './tables.js';

/** The one Postgres connection the export's read transaction and COPY run on. */
export interface ExportReadClient {
  query(text: string, values?: unknown[]): Promise<unknown>;
  query(copy: CopyRows): unknown;
  release(err?: Error | boolean): void;
}

export interface ExportTableDayInput {
  /** Hands out the connection; it goes back to the pool after a clean end and is discarded after a failure. */
  pool: { connect(): Promise<ExportReadClient> } & Omit<SnapshotPool, 'connect'>;
  table: TableName;
  day: string;
  integration: { appId: string; settings: ExportSettings; historicalCutoff: string };
  partSize: number;
  maxInFlight: number;
  buffers?: PartBuffers;
  /** Where a previous attempt got to; null starts the file from its header. */
  resume: Checkpoint | null;
  /**
   * Uploads one part and returns its ETag; `digest` is the part's base64 hash by `checksum`, `signal`
   * fires when the export is aborted.
   */
  uploadPart: (partNumber: number, body: Buffer, digest: string, signal: AbortSignal) => Promise<string>;
  /** The upload's part checksum (default 'md5'). */
  checksum?: PartChecksum;
  onCheckpoint: (checkpoint: Checkpoint) => void;
  /** Aborting stops the COPY and the part uploads; the export then rejects. */
  signal?: AbortSignal;
  /** The file's format (default csv). A checkpoint must come from the same format and encoding. */
  output?: OutputFormat;
  /** A read to take in the COPY's own snapshot (the lookback's fingerprint); see same-snapshot.ts. */
  sameSnapshot?: SameSnapshotRead;
  /**
   * For an encoded format (csv_gzip, parquet; ignored for csv): read the whole COPY into buffers from
   * this (null: no more) before encoding anything, and fail with GatherLimitExceeded when they do not
   * hold it (gather-rows.ts). The single-request probe's read.
   */
  gatherFirst?: () => Buffer | null;
}

export interface ExportTableDayResult extends StreamPartsResult {
  /** csv_gzip's CSV size, when this attempt compressed the whole file; else null. */
  uncompressedBytes: number | null;
}

/**
 * Streams one table-day out of Postgres with COPY and uploads it as equal-size parts, resuming after
 * the checkpoint when one is given. Knows nothing of Temporal: the caller decides what a checkpoint is
 * persisted as and what an upload error means.
 */
export async function exportTableDay(input: ExportTableDayInput): Promise<ExportTableDayResult> {
  const { table, integration, resume } = input;
  const sql = buildCopy({
    table,
    appId: integration.appId,
    day: input.day,
    settings: integration.settings,
    historicalCutoff: integration.historicalCutoff,
    after: resume?.next.after ?? null,
  });
  const header = csvHeader(columnNames(table, integration.settings.sendUserAttributes));
  const encoder = fileEncoder(input.output ?? DEFAULT_OUTPUT, {
    table,
    columns: columnSpecs(table, integration.settings.sendUserAttributes),
    headerBytes: header.length,
  });
  const signal = input.signal ?? new AbortController().signal;
  const client = await input.pool.connect();
  let result: StreamPartsResult;
  let side: Promise<void> | null = null;
  try {
    await client.query(BEGIN_EXPORT_READ);
    const read = input.sameSnapshot;
    // Before the COPY, so the snapshot exported is the one the COPY reads in.
    if (read?.mode === 'concurrent' && hasSpareConnection(input.pool)) {
      const id = await exportSnapshot(client);
      side = readInSnapshot(input.pool, id, read);
    }
    const source = new CopyRows(sql);
    signal.addEventListener('abort', () => source.abort(signal.reason instanceof Error ? signal.reason : new Error('export aborted')));
    client.query(source);
    const rows = encoder.encode && input.gatherFirst ? replay(await gatherRows(source, input.gatherFirst)) : source;
    result = await streamParts({
      source: rows,
      keyColumns: keyColumnCount(table),
      keyOf: tableSpec(table).keyOf,
      header,
      partSize: input.partSize,
      maxInFlight: input.maxInFlight,
      ...(input.buffers ? { buffers: input.buffers } : {}),
      resume,
      uploadPart: (partNumber, body, digest) => input.uploadPart(partNumber, body, digest, signal),
      ...(input.checksum ? { checksum: input.checksum } : {}),
      onCheckpoint: (cp) => input.onCheckpoint(cp),
      ...(encoder.encode ? { encode: encoder.encode } : {}),
    });
    const rowsRead = result.rows - (resume?.next.rows ?? 0);
    if (source.rowCount !== rowsRead) throw new Error(`COPY reported ${source.rowCount} rows but ${rowsRead} were read`);
    // The exported snapshot lives as long as this transaction: the side read must have imported it.
    if (side) await side;
    else if (read) await readAfter(client, read);
    await client.query('COMMIT');
  } catch (err) {
    // The side read keeps its own connection and snapshot: let it finish (a resumed attempt keeps
    // what it records), and never leave it running past this call.
    if (side) await side;
    // A connection stopped mid-COPY is in an unknown state: discard it rather than pool it.
    client.release(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  client.release();
  return { ...result, uncompressedBytes: resume ? null : encoder.uncompressedBytes() };
}

/** `after` (or `concurrent` without a spare connection): the read on the read connection, same transaction, same snapshot. */
async function readAfter(client: ExportReadClient, read: SameSnapshotRead): Promise<void> {
  try {
    await read.run(client);
  } catch (err) {
    read.failed(err instanceof Error ? err : new Error(String(err)));
  }
}
