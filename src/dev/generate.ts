import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Pool } from '../db/pool.js';
import { UA_EVENT_COLUMNS, CAMPAIGN_METRIC_COLUMNS } from '../export/tables.js';

/**
 * Realistic, deterministic demo data: the seed for `npm start`, the benchmark's million-row day and
 * the integration tests' fixtures. Rows are plain objects of Postgres input text, loaded with COPY.
 */

export type Cell = string | number | null | Record<string, unknown>;
export type EventRow = Record<string, Cell> & { app_id: string; created_at: string };
export type MetricRow = Record<string, Cell> & { app_id: string; date: string };

export const EVENT_INSERT_COLUMNS = ['app_id', 'created_at', ...UA_EVENT_COLUMNS.map(([c]) => c), 'user_attributes'];
export const METRIC_INSERT_COLUMNS = ['app_id', ...CAMPAIGN_METRIC_COLUMNS.map(([c]) => c)];

/** Small fast seeded PRNG (mulberry32): the same seed gives the same rows on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
export const uuidFrom = (r: () => number) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-${pick(r, ['8', '9', 'a', 'b'])}${hex(r, 3)}-${hex(r, 12)}`;

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ` for a day plus microseconds. */
export function microsInstant(day: string, micros: number): string {
  const ms = Math.floor(micros / 1000);
  const base = new Date(Date.parse(`${day}T00:00:00Z`) + ms).toISOString();
  return `${base.slice(0, 19)}.${String(micros % 1_000_000).padStart(6, '0')}Z`;
}

const EVENT_WEIGHTS: [string, number][] = [
  ['install', 40],
  ['reinstall', 4],
  ['trial_started', 12],
  ['trial_converted', 6],
  ['trial_cancelled', 4],
  ['subscription_started', 8],
  ['subscription_renewed', 14],
  ['subscription_cancelled', 4],
  ['subscription_expired', 3],
  ['subscription_refunded', 1],
  ['non_subscription_purchase', 3],
  ['non_subscription_purchase_refunded', 1],
];
const SOURCES = ['appsflyer', 'adjust', 'branch', 'apple_search_ads', 'singular'];
const CHANNELS = ['Facebook Ads', 'Google Ads', 'TikTok For Business', 'Apple Search Ads', 'Snapchat', 'Organic'];
const COUNTRIES: [string, string][] = [
  ['US', 'USD'],
  ['GB', 'GBP'],
  ['DE', 'EUR'],
  ['FR', 'EUR'],
  ['JP', 'JPY'],
  ['BR', 'BRL'],
  ['IN', 'INR'],
  ['CA', 'CAD'],
];
const IOS_DEVICES = ['iPhone15,2', 'iPhone14,5', 'iPhone16,1', 'iPad13,4'];
const ANDROID_DEVICES = ['Pixel 8', 'SM-S918B', 'SM-A546B', 'moto g(60)'];

function weightedEvent(r: () => number): string {
  const total = EVENT_WEIGHTS.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [t, w] of EVENT_WEIGHTS) if ((x -= w) < 0) return t;
  return 'install';
}

export function makeEvent(r: () => number, appId: string, day: string, createdMicros: number): EventRow {
  const ios = r() < 0.6;
  const [country, currency] = pick(r, COUNTRIES);
  const campaign = Math.floor(r() * 40);
  const adset = campaign * 10 + Math.floor(r() * 5);
  const ad = adset * 10 + Math.floor(r() * 4);
  const channel = pick(r, CHANNELS);
  const createdAt = microsInstant(day, createdMicros);
  const eventMicros = Math.max(0, createdMicros - Math.floor(r() * 3_600_000_000));
  const eventType = weightedEvent(r);
  const paid = eventType.startsWith('subscription') || eventType.startsWith('non_subscription') || eventType === 'trial_converted';
  const usd = paid ? (Math.floor(r() * 5000) / 100 + 0.99).toFixed(2) : null;
  const osMajor = ios ? 15 + Math.floor(r() * 3) : 12 + Math.floor(r() * 3);
  return {
    app_id: appId,
    created_at: createdAt,
    profile_id: r() < 0.97 ? uuidFrom(r) : null,
    event_type: eventType,
    event_datetime: microsInstant(day, eventMicros),
    campaign_id: `12000${campaign}`,
    campaign_name: `${country}_${ios ? 'iOS' : 'Android'}_${pick(r, ['Subscriptions', 'Trials', 'Retargeting'])}_Q${1 + Math.floor(r() * 4)}`,
    adset_id: `23000${adset}`,
    adset_name: `Lookalike ${1 + Math.floor(r() * 5)}% - ${country}, 25-44`,
    ad_id: `34000${ad}`,
    ad_name: `Video "Onboarding" v${1 + Math.floor(r() * 9)}`,
    platform: ios ? 'ios' : 'android',
    attribution_source: pick(r, SOURCES),
    attribution_network_user_id: hex(r, 16),
    attribution_status: channel === 'Organic' ? 'organic' : 'non_organic',
    attribution_channel: channel,
    attribution_campaign: `cmp_${campaign}`,
    attribution_ad_group: `adg_${adset}`,
    attribution_ad_set: `ads_${adset}`,
    attribution_creative: `creative_${ad}.mp4`,
    click_datetime: channel === 'Organic' ? null : microsInstant(day, Math.max(0, eventMicros - 120_000_000)),
    install_datetime: microsInstant(day, Math.max(0, eventMicros - 60_000_000)),
    conversion_datetime: paid ? microsInstant(day, eventMicros) : null,
    conversion_type: paid ? (eventType.includes('renewed') ? 'renewal' : 'purchase') : null,
    conversion_value_usd: usd,
    conversion_value_local: usd,
    currency: paid ? currency : null,
    country,
    device_type: ios ? (r() < 0.9 ? 'phone' : 'tablet') : 'phone',
    os_version: `${osMajor}.${Math.floor(r() * 6)}`,
    app_version: `4.${Math.floor(r() * 12)}.${Math.floor(r() * 9)}`,
    user_agent: ios
      ? `Mozilla/5.0 (iPhone; CPU iPhone OS ${osMajor}_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148`
      : `Mozilla/5.0 (Linux; Android ${osMajor}; ${pick(r, ANDROID_DEVICES)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36`,
    ip_address: `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`,
    idfa: ios && r() < 0.3 ? uuidFrom(r).toUpperCase() : null,
    idfv: ios ? uuidFrom(r).toUpperCase() : null,
    advertising_id: ios ? null : uuidFrom(r),
    android_id: ios ? null : hex(r, 16),
    android_app_set_id: ios ? null : uuidFrom(r),
    device: ios ? pick(r, IOS_DEVICES) : pick(r, ANDROID_DEVICES),
    custom_parameters: { af_sub1: `sub_${Math.floor(r() * 100)}`, utm_source: channel.toLowerCase().replace(/ /g, '_'), utm_campaign: `cmp_${campaign}` },
    user_attributes: r() < 0.5 ? { plan: pick(r, ['monthly', 'annual', 'weekly']), onboarding_completed: r() < 0.7 } : null,
  };
}

/** `count` events spread evenly over the day's created_at, in increasing order. */
export function* eventsForDay(appId: string, day: string, count: number, seed = 1): Generator<EventRow> {
  const r = rng(seed);
  const step = 86_400_000_000 / Math.max(count, 1);
  for (let i = 0; i < count; i++) yield makeEvent(r, appId, day, Math.floor(i * step + r() * step * 0.9));
}

export function metricsForDay(appId: string, day: string, campaigns = 12, seed = 1): MetricRow[] {
  const r = rng(seed);
  const rows: MetricRow[] = [];
  for (const platform of ['android', 'ios']) {
    for (let c = 0; c < campaigns; c++) {
      const impressions = 1000 + Math.floor(r() * 200_000);
      const clicks = Math.floor(impressions * (0.005 + r() * 0.03));
      const installs = Math.floor(clicks * (0.1 + r() * 0.3));
      const conversions = Math.floor(installs * r() * 0.2);
      const spend = Math.floor(impressions * (2 + r() * 8)) / 1000;
      rows.push({
        app_id: appId,
        campaign_id: `12000${c}`,
        campaign_name: `${platform === 'ios' ? 'iOS' : 'Android'} campaign ${c}, "evergreen"`,
        adset_id: `23000${c * 10}`,
        adset_name: `Adset ${c}`,
        ad_id: `34000${c * 100}`,
        ad_name: `Ad ${c}`,
        platform,
        date: day,
        impressions,
        clicks,
        installs,
        conversions,
        spend_usd: spend.toFixed(2),
        spend_local: spend.toFixed(2),
        cpi_usd: installs ? (spend / installs).toFixed(4) : null,
        cpc_usd: clicks ? (spend / clicks).toFixed(4) : null,
        cpm_usd: ((spend / impressions) * 1000).toFixed(4),
        ctr: (clicks / impressions).toFixed(6),
        icr: clicks ? (installs / clicks).toFixed(6) : null,
        ipm: ((installs / impressions) * 1000).toFixed(4),
        ltv_usd: installs ? ((spend / installs) * (0.5 + r() * 2)).toFixed(4) : null,
      });
    }
  }
  return rows;
}

/** One CSV line for COPY … FROM STDIN (FORMAT csv): NULL unquoted-empty, everything else quoted. */
function copyLine(row: Record<string, Cell>, columns: readonly string[]): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    const v = row[columns[i]!];
    if (i > 0) line += ',';
    if (v === null || v === undefined) continue;
    const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    line += `"${text.replace(/"/g, '""')}"`;
  }
  return `${line}\n`;
}

async function copyRows(
  pool: Pool,
  table: string,
  columns: readonly string[],
  rows: Iterable<Record<string, Cell>> | AsyncIterable<Record<string, Cell>>,
): Promise<void> {
  const client = await pool.connect();
  try {
    const sink = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN (FORMAT csv)`));
    async function* lines() {
      let batch = '';
      for await (const row of rows) {
        batch += copyLine(row, columns);
        if (batch.length > 256 * 1024) {
          yield batch;
          batch = '';
        }
      }
      if (batch) yield batch;
    }
    await pipeline(Readable.from(lines()), sink);
  } finally {
    client.release();
  }
}

export function insertEvents(pool: Pool, rows: Iterable<EventRow> | AsyncIterable<EventRow>): Promise<void> {
  return copyRows(pool, 'ua_events', EVENT_INSERT_COLUMNS, rows);
}

export function insertMetrics(pool: Pool, rows: Iterable<MetricRow>): Promise<void> {
  return copyRows(pool, 'campaign_metrics', METRIC_INSERT_COLUMNS, rows);
}
