export { exportDayWorkflow, exportProgressQuery } from './export-day.js';
export { scheduledExportWorkflow } from './scheduled-export.js';
