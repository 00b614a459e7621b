export { exportDayWorkflow, exportProgressQuery } from './export-day.js';
export { scheduledExportWorkflow } from './scheduled-export.js';
export { backfillWorkflow, backfillProgressQuery, pauseBackfillSignal, resumeBackfillSignal } from './backfill.js';
export { alertWorkflow } from './alerts.js';
