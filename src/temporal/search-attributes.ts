import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes on every export and backfill workflow. The local dev server registers them
 * at start (scripts/services.sh); the README shows how to register them on a production cluster.
 */
export const SA_INTEGRATION_ID = defineSearchAttributeKey('UaIntegrationId', SearchAttributeType.KEYWORD);
export const SA_APP_ID = defineSearchAttributeKey('UaAppId', SearchAttributeType.KEYWORD);
export const SA_EXPORT_DAY = defineSearchAttributeKey('UaExportDay', SearchAttributeType.DATETIME);
export const SA_RUN_KIND = defineSearchAttributeKey('UaRunKind', SearchAttributeType.KEYWORD);
/** Set by Temporal on runs a schedule starts. */
export const SA_SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export const CUSTOM_SEARCH_ATTRIBUTES = {
  UaIntegrationId: 'Keyword',
  UaAppId: 'Keyword',
  UaExportDay: 'Datetime',
  UaRunKind: 'Keyword',
} as const;
