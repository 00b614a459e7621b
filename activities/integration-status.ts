import { setLastStatus } from '../src/integrations/repo.js';
import type { ActivityDeps } from './deps.js';

export interface IntegrationStatusInput {
  integrationId: string;
  status: string;
  error: string | null;
}

export function createRecordIntegrationStatus(deps: ActivityDeps) {
  /** The integration's last outcome, as the API shows it; a deleted integration has nothing to update. */
  return async function recordIntegrationStatus(input: IntegrationStatusInput): Promise<void> {
    await setLastStatus(deps.pool, input.integrationId, input.status, input.error);
  };
}
