// Links out of the console: the calendar (same origin) and the Temporal UI (base from the API).

export const calendarUrl = (integrationId) => `/calendar#integration=${encodeURIComponent(integrationId)}`;
export const integrationHash = (integrationId) => `#integration=${encodeURIComponent(integrationId)}`;

/** The Temporal UI's workflow list filtered by the integration's search attribute. */
export function runsUrl(workflowUrlPrefix, integrationId) {
  return `${workflowUrlPrefix.replace(/\/$/, '')}?query=${encodeURIComponent(`UaIntegrationId = '${integrationId}'`)}`;
}
