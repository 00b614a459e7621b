/**
 * The CSV contract: which columns each exported table has, in order, and how each is rendered by
 * Postgres. Changing a list here is a schema change: bump SCHEMA_VERSION (it is in every manifest).
 */
export const SCHEMA_VERSION = 1;

export const TABLES = ['ua_events', 'campaign_metrics'] as const;
export type TableName = (typeof TABLES)[number];

export function isTableName(value: string): value is TableName {
  return (TABLES as readonly string[]).includes(value);
}

type Render = 'text' | 'lower' | 'timestamp' | 'date' | 'number' | 'json' | 'uuid' | 'inet';

export const UA_EVENT_COLUMNS: readonly (readonly [string, Render])[] = [
  ['profile_id', 'uuid'],
  ['event_type', 'lower'],
  ['event_datetime', 'timestamp'],
  ['campaign_id', 'text'],
  ['campaign_name', 'text'],
  ['adset_id', 'text'],
  ['adset_name', 'text'],
  ['ad_id', 'text'],
  ['ad_name', 'text'],
  ['platform', 'text'],
  ['attribution_source', 'text'],
  ['attribution_network_user_id', 'text'],
  ['attribution_status', 'text'],
  ['attribution_channel', 'text'],
  ['attribution_campaign', 'text'],
  ['attribution_ad_group', 'text'],
  ['attribution_ad_set', 'text'],
  ['attribution_creative', 'text'],
  ['click_datetime', 'timestamp'],
  ['install_datetime', 'timestamp'],
  ['conversion_datetime', 'timestamp'],
  ['conversion_type', 'text'],
  ['conversion_value_usd', 'number'],
  ['conversion_value_local', 'number'],
  ['currency', 'text'],
  ['country', 'text'],
  ['device_type', 'text'],
  ['os_version', 'text'],
  ['app_version', 'text'],
  ['user_agent', 'text'],
  ['ip_address', 'inet'],
  ['idfa', 'text'],
  ['idfv', 'text'],
  ['advertising_id', 'text'],
  ['android_id', 'text'],
  ['android_app_set_id', 'text'],
  ['device', 'text'],
  ['custom_parameters', 'json'],
];

export const USER_ATTRIBUTES_COLUMN = ['user_attributes', 'json'] as const;

export const CAMPAIGN_METRIC_COLUMNS: readonly (readonly [string, Render])[] = [
  ['campaign_id', 'text'],
  ['campaign_name', 'text'],
  ['adset_id', 'text'],
  ['adset_name', 'text'],
  ['ad_id', 'text'],
  ['ad_name', 'text'],
  ['platform', 'text'],
  ['date', 'date'],
  ['impressions', 'number'],
  ['clicks', 'number'],
  ['installs', 'number'],
  ['conversions', 'number'],
  ['spend_usd', 'number'],
  ['spend_local', 'number'],
  ['cpi_usd', 'number'],
  ['cpc_usd', 'number'],
  ['cpm_usd', 'number'],
  ['ctr', 'number'],
  ['icr', 'number'],
  ['ipm', 'number'],
  ['ltv_usd', 'number'],
];

export function columnsOf(table: TableName, sendUserAttributes: boolean): (readonly [string, Render])[] {
  if (table === 'campaign_metrics') return [...CAMPAIGN_METRIC_COLUMNS];
  return sendUserAttributes ? [...UA_EVENT_COLUMNS, USER_ATTRIBUTES_COLUMN] : [...UA_EVENT_COLUMNS];
}

export function columnNames(table: TableName, sendUserAttributes: boolean): string[] {
  return columnsOf(table, sendUserAttributes).map(([name]) => name);
}

/**
 * SQL that renders one column exactly as the contract says, so Postgres's own CSV writer produces
 * the final bytes. The session runs with TimeZone=UTC and DateStyle=ISO (see src/export/copy-source.ts).
 */
export function renderSql(column: string, render: Render, alias = 't'): string {
  const c = `${alias}.${column}`;
  switch (render) {
    case 'timestamp':
      // Always six fraction digits and a Z, never the locale-dependent default text.
      return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    case 'lower':
      return `lower(${c})`;
    case 'inet':
      return `host(${c})`;
    // numeric's text output is plain decimal (never an exponent); jsonb's is canonical (sorted keys,
    // one spacing), so the same value always gives the same bytes; dates print as YYYY-MM-DD.
    case 'number':
    case 'json':
    case 'date':
    case 'uuid':
    case 'text':
      return c;
  }
}
