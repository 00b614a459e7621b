import { buildExportPlan, type ExportPlan } from '../src/export/plan.js';
import type { TableName } from '../src/export/tables.js';
import { getIntegration } from '../src/integrations/repo.js';
import type { ActivityDeps } from './deps.js';
import { loadingIntegration } from './failures.js';

export interface PlanExportInput {
  integrationId: string;
  day: string;
  tables: TableName[];
}

export function createPlanExport(deps: ActivityDeps) {
  /** Resolves what a day's export writes and where; carries no secret. */
  return async function planExport(input: PlanExportInput): Promise<ExportPlan> {
    const integration = await loadingIntegration(getIntegration(deps.pool, input.integrationId));
    return buildExportPlan(integration, input.day, input.tables);
  };
}
