import { dayWindow } from './days.js';
import { objectKeys } from './keys.js';
import type { ExportSettings } from './settings.js';
import { columnNames, type TableName } from './tables.js';

export interface FilePlan {
  table: TableName;
  bucket: string;
  key: string;
  manifestKey: string;
  columns: string[];
}

/** What a day's export writes and where; carries no secret, so it can travel in workflow history. */
export interface ExportPlan {
  integrationId: string;
  appId: string;
  day: string;
  window: { start: string; end: string };
  endpoint: string;
  settings: ExportSettings;
  files: FilePlan[];
}

export interface PlannedIntegration {
  id: string;
  appId: string;
  endpointUrl: string;
  bucket: string;
  folder: string;
  settings: ExportSettings;
}

export function buildExportPlan(integration: PlannedIntegration, day: string, tables: readonly TableName[]): ExportPlan {
  const window = dayWindow(day);
  return {
    integrationId: integration.id,
    appId: integration.appId,
    day,
    window: { start: window.start, end: window.end },
    endpoint: integration.endpointUrl,
    settings: integration.settings,
    files: tables.map((table) => {
      const keys = objectKeys(integration.bucket, integration.folder, table, day);
      return {
        table,
        bucket: keys.bucket,
        key: keys.dataKey,
        manifestKey: keys.manifestKey,
        columns: columnNames(table, integration.settings.sendUserAttributes),
      };
    }),
  };
}
