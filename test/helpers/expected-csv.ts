/**
 * An independent reference for the CSV contract, written from the spec (not from src/): tests compute
 * the exact bytes a day should produce from the rows they inserted, and compare with what landed in S3.
 */
import type { Cell, EventRow, MetricRow } from '../../src/dev/generate.js';

export const EVENT_COLUMNS = [
  'profile_id',
  'event_type',
  'event_datetime',
  'campaign_id',
  'campaign_name',
  'adset_id',
  'adset_name',
  'ad_id',
  'ad_name',
  'platform',
  'attribution_source',
  'attribution_network_user_id',
  'attribution_status',
  'attribution_channel',
  'attribution_campaign',
  'attribution_ad_group',
  'attribution_ad_set',
  'attribution_creative',
  'click_datetime',
  'install_datetime',
  'conversion_datetime',
  'conversion_type',
  'conversion_value_usd',
  'conversion_value_local',
  'currency',
  'country',
  'device_type',
  'os_version',
  'app_version',
  'user_agent',
  'ip_address',
  'idfa',
  'idfv',
  'advertising_id',
  'android_id',
  'android_app_set_id',
  'device',
  'custom_parameters',
];
export const METRIC_COLUMNS = [
  'campaign_id',
  'campaign_name',
  'adset_id',
  'adset_name',
  'ad_id',
  'ad_name',
  'platform',
  'date',
  'impressions',
  'clicks',
  'installs',
  'conversions',
  'spend_usd',
  'spend_local',
  'cpi_usd',
  'cpc_usd',
  'cpm_usd',
  'ctr',
  'icr',
  'ipm',
  'ltv_usd',
];

/** RFC 4180 as Postgres writes it: NULL is an empty field, an empty string is `""`. */
export function field(v: string | null): string {
  if (v === null) return '';
  if (v === '' || /[",\r\n]/.test(v)) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

/** jsonb's text form: keys ordered by length then bytes, `": "` and `", "` separators. */
export function jsonbText(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(', ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) => {
      const la = Buffer.byteLength(a);
      const lb = Buffer.byteLength(b);
      return la !== lb ? la - lb : Buffer.compare(Buffer.from(a), Buffer.from(b));
    });
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText((v as Record<string, unknown>)[k])}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

/** Inserted datetimes are `YYYY-MM-DDTHH:MM:SS.ffffffZ` already; re-derive to be sure of six digits. */
function isoMicros(v: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|\+00(?::00)?)$/.exec(v);
  if (!m) throw new Error(`test fixture datetime not in UTC form: ${v}`);
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z`;
}

/**
 * The address alone, as the contract writes an inet: without its prefix length, and IPv6 in RFC 5952
 * text (lower case, longest zero run as `::`), which the WHATWG URL parser also produces. An
 * IPv4-mapped IPv6 address keeps its dotted tail, as RFC 5952 section 5 recommends.
 */
function hostText(v: string): string {
  const address = v.replace(/\/\d+$/, '');
  if (!address.includes(':') || address.includes('.')) return address.toLowerCase();
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function cell(column: string, v: Cell | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (column === 'custom_parameters' || column === 'user_attributes') return jsonbText(v);
  // Only the two JSON columns hold objects; String() would turn one anywhere else into "[object Object]".
  if (typeof v === 'object') throw new Error(`test fixture: column ${column} holds an object, but only JSON columns may`);
  if (column.endsWith('_datetime')) return isoMicros(String(v));
  if (column === 'event_type') return String(v).toLowerCase();
  if (column === 'ip_address') return hostText(String(v));
  return String(v);
}

/** One record per row, in file order: each field's text, null for NULL (an unquoted empty field). */
export type Records = (string | null)[][];

/** Rows must be given in (created_at, insertion) order, which is the export's (created_at, id) order. */
export function expectedEventRecords(rows: EventRow[], opts: { userAttributes?: boolean } = {}): Records {
  const cols = opts.userAttributes ? [...EVENT_COLUMNS, 'user_attributes'] : EVENT_COLUMNS;
  const sorted = rows.map((r, i) => ({ r, i })).sort((a, b) => (a.r.created_at < b.r.created_at ? -1 : a.r.created_at > b.r.created_at ? 1 : a.i - b.i));
  return [cols, ...sorted.map(({ r }) => cols.map((c) => cell(c, r[c])))];
}

export function expectedMetricRecords(rows: MetricRow[]): Records {
  const key = (r: MetricRow) => [r.platform, r.campaign_id, r.adset_id, r.ad_id].map(String);
  const sorted = [...rows].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    return 0;
  });
  return [METRIC_COLUMNS, ...sorted.map((r) => METRIC_COLUMNS.map((c) => cell(c, r[c])))];
}

const csvOf = (records: Records): string => records.map((rec) => `${rec.map(field).join(',')}\n`).join('');

export function expectedEventsCsv(rows: EventRow[], opts: { userAttributes?: boolean } = {}): string {
  return csvOf(expectedEventRecords(rows, opts));
}

export function expectedMetricsCsv(rows: MetricRow[]): string {
  return csvOf(expectedMetricRecords(rows));
}
