/**
 * Links into the Temporal UI. `uiBase` is TEMPORAL_UI_URL (a trailing slash is ignored); every path
 * segment and query value is escaped.
 */
const namespaceUrl = (uiBase: string, namespace: string): string => `${uiBase.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}`;

/** A workflow's page; with a run id, that run's. An empty workflow id gives the prefix the calendar page appends ids to. */
export function workflowUiUrl(uiBase: string, namespace: string, workflowId: string, runId?: string): string {
  const base = `${namespaceUrl(uiBase, namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}` : base;
}

/** What workflowUiUrl gives for a workflow id appended (encoded) to it: `…/namespaces/<ns>/workflows/`. */
export const workflowUiUrlPrefix = (uiBase: string, namespace: string): string => workflowUiUrl(uiBase, namespace, '');

/** The workflow list, optionally filtered by a visibility query (search attributes). */
export function workflowListUiUrl(uiBase: string, namespace: string, query?: string): string {
  const base = `${namespaceUrl(uiBase, namespace)}/workflows`;
  return query ? `${base}?query=${encodeURIComponent(query)}` : base;
}

export function scheduleUiUrl(uiBase: string, namespace: string, scheduleId: string): string {
  return `${namespaceUrl(uiBase, namespace)}/schedules/${encodeURIComponent(scheduleId)}`;
}
