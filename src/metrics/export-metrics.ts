import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The product's own Prometheus metrics. One registry per process: the worker serves it next to the
 * Temporal SDK's runtime metrics (src/metrics/server.ts); the API serves it on its /metrics route.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'ua_export_' });

export const rowsExported = new Counter({
  name: 'ua_export_rows_exported_total',
  help: 'Rows written to delivered files, by table',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const bytesExported = new Counter({
  name: 'ua_export_bytes_exported_total',
  help: 'Bytes of delivered CSV files, by table',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const partUploadSeconds = new Histogram({
  name: 'ua_export_part_upload_seconds',
  help: 'Latency of one multipart UploadPart call',
  labelNames: ['table'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
  registers: [registry],
});

export const exportDurationSeconds = new Histogram({
  name: 'ua_export_file_duration_seconds',
  help: "Time from opening a file's multipart upload to recording it delivered",
  labelNames: ['table', 'kind'] as const,
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
  registers: [registry],
});

export const exportFailures = new Counter({
  name: 'ua_export_failures_total',
  help: 'Files that failed or were cancelled, by table and reason (e.g. SignatureDoesNotMatch, AccessDenied, Cancelled)',
  labelNames: ['table', 'reason'] as const,
  registers: [registry],
});

export const scheduleLagSeconds = new Histogram({
  name: 'ua_export_schedule_lag_seconds',
  help: "For scheduled runs: time from the schedule's scheduled time to the file being delivered",
  labelNames: ['table'] as const,
  buckets: [10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 259200],
  registers: [registry],
});

export const uploadResumes = new Counter({
  name: 'ua_export_upload_resumes_total',
  help: 'Upload attempts that resumed from a checkpoint (a previous attempt was killed or failed mid-file), by table',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const partsRebuilt = new Counter({
  name: 'ua_export_parts_rebuilt_total',
  help: 'Parts the provider already held beyond the checkpoint a resumed attempt started from, uploaded again: the work a kill cost, by table',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const orphanUploadsAborted = new Counter({
  name: 'ua_export_orphan_uploads_aborted_total',
  help: "Open multipart uploads of this product's keys that no live export owned, aborted by the sweep, by reason",
  labelNames: ['reason'] as const,
  registers: [registry],
});
