import { SA_INTEGRATION_ID } from './search-attributes.js';

/** Visibility queries (List Filter) over the custom search attributes. */

/** Every backfill run of the integration (quotes are dropped from the id, so it cannot end the literal). */
export const backfillsQuery = (integrationId: string): string =>
  `WorkflowType = 'backfillWorkflow' AND ${SA_INTEGRATION_ID.name} = '${integrationId.replace(/'/g, '')}'`;

/** Every running export and backfill of the integration. The id must be a validated uuid: it goes in as is. */
export const runningWorkflowsQuery = (integrationId: string): string => `${SA_INTEGRATION_ID.name} = '${integrationId}' AND ExecutionStatus = 'Running'`;
