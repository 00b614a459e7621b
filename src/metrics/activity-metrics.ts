import { Counter } from 'prom-client';
import { registry } from './export-metrics.js';

/**
 * Activity attempts and retries, counted by the worker's activity interceptor (src/worker/interceptors.ts)
 * for every activity alike. A retry is an attempt after the first: a killed worker, a 503 from the
 * provider or a Postgres restart all show up here as they do in the Temporal UI's attempt count.
 */

export const activityAttempts = new Counter({
  name: 'ua_export_activity_attempts_total',
  help: 'Activity attempts that ended, by activity type and outcome (succeeded, failed, cancelled)',
  labelNames: ['activity', 'outcome'] as const,
  registers: [registry],
});

export const activityRetries = new Counter({
  name: 'ua_export_activity_retries_total',
  help: 'Activity attempts after the first (retries) that started, by activity type',
  labelNames: ['activity'] as const,
  registers: [registry],
});
