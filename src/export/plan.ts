import { dayWindow } from './days.js';
import { DEFAULT_OUTPUT, type OutputFormat } from './formats/format.js';
import { objectKeys } from './keys.js';
import type { ExportSettings } from './settings.js';
import { columnNames, type TableName } from './tables.js';

export interface FilePlan {
  table: TableName;
  bucket: string;
  key: string;
  manifestKey: string;
  columns: string[];
  /** Absent in plans made before formats existed: those are csv. */
  output?: OutputFormat;
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
  format?: OutputFormat['format'];
  compression?: OutputFormat['compression'];
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
      const output: OutputFormat = integration.format ? { format: integration.format, compression: integration.compression ?? null } : DEFAULT_OUTPUT;
      const keys = objectKeys(integration.bucket, integration.folder, table, day, output.format);
      return {
        table,
        bucket: keys.bucket,
        key: keys.dataKey,
        manifestKey: keys.manifestKey,
        columns: columnNames(table, integration.settings.sendUserAttributes),
        output,
      };
    }),
  };
}
