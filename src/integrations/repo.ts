import { randomUUID } from 'node:crypto';
import { open, seal, type Keyring } from '../crypto/secrets.js';
import type { Pool } from '../db/pool.js';
import { DEFAULT_OUTPUT, type FileFormat, type OutputFormat, type ParquetCompression } from '../export/formats/format.js';
import { normalizeSettings, type ExportSettings } from '../export/settings.js';
import type { StorageConfig } from '../s3/client.js';
import type { CalendarCursor } from './calendar-cursor.js';
import type { ListCursor } from './list-cursor.js';

/** An integration as the rest of the product sees it: never the secret, not even encrypted. */
export interface Integration {
  id: string;
  appId: string;
  endpointUrl: string;
  region: string;
  bucket: string;
  folder: string;
  accessKeyId: string;
  forcePathStyle: boolean;
  settings: ExportSettings;
  /** Postgres text (UTC, microseconds): compared in SQL, so never round-tripped through a JS Date. */
  historicalCutoff: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastStatus: string | null;
  lastError: string | null;
  lastStatusAt: string | null;
  // ---- issue 12 (operations): alerts, lookback, auto-pause
  /** The alert webhook; the secret itself is write-only (only whether one is set). */
  alerts: { webhookUrl: string; format: AlertFormat; hasSecret: boolean } | null;
  lookbackDays: number;
  autoPauseAfterFailedDays: number;
  /** Set while the schedule is paused by the integration itself after repeated configuration failures. */
  autoPaused: { at: string; sinceDay: string; reason: string } | null;
  // ---- end issue 12
  // ---- file format (issue 10): src/export/formats/format.ts
  format: FileFormat;
  /** Parquet's column compression; null for the CSV formats. */
  compression: ParquetCompression | null;
}

// ---- issue 12 (operations)
export type AlertFormat = 'json' | 'slack';
export interface AlertsInput {
  webhookUrl: string;
  format?: AlertFormat;
  /** Signs every request (HMAC-SHA256); stored sealed like the S3 secret, never returned. */
  secret?: string;
}
/** The webhook secret is sealed bound to its row and purpose, so it cannot be swapped with the S3 secret. */
export const alertsSecretAad = (id: string): string => `${id}:alerts`;
// ---- end issue 12

export interface NewIntegration {
  id?: string;
  appId: string;
  endpointUrl: string;
  region?: string;
  bucket: string;
  folder?: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle?: boolean;
  enabled?: boolean;
  settings?: Partial<ExportSettings>;
  historicalCutoff?: string;
  // ---- issue 12 (operations)
  /** null removes the webhook. */
  alerts?: AlertsInput | null;
  lookbackDays?: number;
  autoPauseAfterFailedDays?: number;
  // ---- end issue 12
  // ---- file format (issue 10): already resolved and validated (resolveOutputFormat)
  output?: OutputFormat;
}

export type IntegrationPatch = Partial<Omit<NewIntegration, 'id'>>;

const COLUMNS = `id, app_id, endpoint_url, region, bucket, folder, access_key_id, force_path_style, settings,
  historical_cutoff::text AS historical_cutoff, enabled, created_at, updated_at, last_status, last_error, last_status_at,
  alerts_webhook_url, alerts_format, alerts_secret_enc IS NOT NULL AS alerts_has_secret, lookback_days, auto_pause_after_failed_days,
  auto_paused_at, auto_paused_since_day::text AS auto_paused_since_day, auto_pause_reason,
  format, compression`;

interface Row {
  id: string;
  app_id: string;
  endpoint_url: string;
  region: string;
  bucket: string;
  folder: string;
  access_key_id: string;
  force_path_style: boolean;
  settings: Partial<ExportSettings>;
  historical_cutoff: string;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
  last_status: string | null;
  last_error: string | null;
  last_status_at: Date | null;
  alerts_webhook_url: string | null;
  alerts_format: AlertFormat | null;
  alerts_has_secret: boolean;
  lookback_days: number;
  auto_pause_after_failed_days: number;
  auto_paused_at: Date | null;
  auto_paused_since_day: string | null;
  auto_pause_reason: string | null;
  format: FileFormat;
  compression: ParquetCompression | null;
}

function fromRow(r: Row): Integration {
  return {
    id: r.id,
    appId: r.app_id,
    endpointUrl: r.endpoint_url,
    region: r.region,
    bucket: r.bucket,
    folder: r.folder,
    accessKeyId: r.access_key_id,
    forcePathStyle: r.force_path_style,
    settings: normalizeSettings(r.settings),
    historicalCutoff: r.historical_cutoff,
    enabled: r.enabled,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    lastStatus: r.last_status,
    lastError: r.last_error,
    lastStatusAt: r.last_status_at ? r.last_status_at.toISOString() : null,
    alerts: r.alerts_webhook_url ? { webhookUrl: r.alerts_webhook_url, format: r.alerts_format ?? 'json', hasSecret: r.alerts_has_secret } : null,
    lookbackDays: r.lookback_days,
    autoPauseAfterFailedDays: r.auto_pause_after_failed_days,
    autoPaused:
      r.auto_paused_at && r.auto_paused_since_day
        ? { at: r.auto_paused_at.toISOString(), sinceDay: r.auto_paused_since_day, reason: r.auto_pause_reason ?? '' }
        : null,
    format: r.format,
    compression: r.compression,
  };
}

export class IntegrationNotFound extends Error {
  override name = 'IntegrationNotFound';
  constructor(readonly id: string) {
    super(`integration ${id} does not exist`);
  }
}

export async function createIntegration(pool: Pool, keyring: Keyring, input: NewIntegration): Promise<Integration> {
  const id = input.id ?? randomUUID();
  const sealed = seal(keyring, input.secretAccessKey, id);
  const { rows } = await pool.query<Row>(
    `INSERT INTO integrations (id, app_id, endpoint_url, region, bucket, folder, access_key_id, secret_access_key_enc,
       secret_key_id, force_path_style, settings, enabled, historical_cutoff, format, compression)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, COALESCE($13::timestamptz, now()), $14, $15)
     RETURNING ${COLUMNS}`,
    [
      id,
      input.appId,
      input.endpointUrl,
      input.region || 'us-east-1',
      input.bucket,
      input.folder ?? '',
      input.accessKeyId,
      sealed.ciphertext,
      sealed.keyId,
      input.forcePathStyle ?? true,
      JSON.stringify(normalizeSettings(input.settings)),
      input.enabled ?? true,
      input.historicalCutoff ?? null,
      (input.output ?? DEFAULT_OUTPUT).format,
      (input.output ?? DEFAULT_OUTPUT).compression,
    ],
  );
  // Issue 12: the operations fields are set by the same code path as an update, in the same transaction.
  if (input.alerts != null || input.lookbackDays !== undefined || input.autoPauseAfterFailedDays !== undefined) {
    return updateIntegration(pool, keyring, id, {
      ...(input.alerts != null ? { alerts: input.alerts } : {}),
      ...(input.lookbackDays !== undefined ? { lookbackDays: input.lookbackDays } : {}),
      ...(input.autoPauseAfterFailedDays !== undefined ? { autoPauseAfterFailedDays: input.autoPauseAfterFailedDays } : {}),
    });
  }
  return fromRow(rows[0]!);
}

export async function getIntegration(pool: Pool, id: string): Promise<Integration> {
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM integrations WHERE id = $1`, [id]);
  if (!rows[0]) throw new IntegrationNotFound(id);
  return fromRow(rows[0]);
}

export async function findIntegration(pool: Pool, id: string): Promise<Integration | null> {
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM integrations WHERE id = $1`, [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function listIntegrations(pool: Pool): Promise<Integration[]> {
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM integrations ORDER BY created_at, id`);
  return rows.map(fromRow);
}

export async function updateIntegration(pool: Pool, keyring: Keyring, id: string, patch: IntegrationPatch): Promise<Integration> {
  const sets: string[] = [];
  const values: unknown[] = [];
  const set = (column: string, value: unknown, cast = '') => {
    values.push(value);
    sets.push(`${column} = $${values.length}${cast}`);
  };
  if (patch.appId !== undefined) set('app_id', patch.appId);
  if (patch.endpointUrl !== undefined) set('endpoint_url', patch.endpointUrl);
  if (patch.region !== undefined) set('region', patch.region || 'us-east-1');
  if (patch.bucket !== undefined) set('bucket', patch.bucket);
  if (patch.folder !== undefined) set('folder', patch.folder);
  if (patch.accessKeyId !== undefined) set('access_key_id', patch.accessKeyId);
  if (patch.secretAccessKey !== undefined) {
    const sealed = seal(keyring, patch.secretAccessKey, id);
    set('secret_access_key_enc', sealed.ciphertext);
    set('secret_key_id', sealed.keyId);
  }
  if (patch.forcePathStyle !== undefined) set('force_path_style', patch.forcePathStyle);
  if (patch.enabled !== undefined) set('enabled', patch.enabled);
  if (patch.historicalCutoff !== undefined) set('historical_cutoff', patch.historicalCutoff, '::timestamptz');
  if (patch.settings !== undefined) {
    const current = await getIntegration(pool, id);
    set('settings', JSON.stringify(normalizeSettings({ ...current.settings, ...patch.settings })));
  }
  // ---- issue 12 (operations)
  if (patch.alerts === null) {
    for (const c of ['alerts_webhook_url', 'alerts_format', 'alerts_secret_enc', 'alerts_secret_key_id']) set(c, null);
  } else if (patch.alerts !== undefined) {
    set('alerts_webhook_url', patch.alerts.webhookUrl);
    set('alerts_format', patch.alerts.format ?? 'json');
    // A PATCH without `secret` keeps the stored one; an empty string removes it.
    if (patch.alerts.secret !== undefined) {
      const sealed = patch.alerts.secret === '' ? null : seal(keyring, patch.alerts.secret, alertsSecretAad(id));
      set('alerts_secret_enc', sealed?.ciphertext ?? null);
      set('alerts_secret_key_id', sealed?.keyId ?? null);
    }
  }
  if (patch.lookbackDays !== undefined) set('lookback_days', patch.lookbackDays);
  if (patch.autoPauseAfterFailedDays !== undefined) set('auto_pause_after_failed_days', patch.autoPauseAfterFailedDays);
  // ---- end issue 12
  // ---- file format (issue 10): both columns together, so the table's check sees a consistent pair
  if (patch.output !== undefined) {
    set('format', patch.output.format);
    set('compression', patch.output.compression);
  }
  if (sets.length === 0) return getIntegration(pool, id);
  values.push(id);
  const { rows } = await pool.query<Row>(
    `UPDATE integrations SET ${sets.join(', ')}, updated_at = now() WHERE id = $${values.length} RETURNING ${COLUMNS}`,
    values,
  );
  if (!rows[0]) throw new IntegrationNotFound(id);
  return fromRow(rows[0]);
}

export async function deleteIntegration(pool: Pool, id: string): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM integrations WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

/** The only place a secret is decrypted: activities call it right before talking to storage. */
export async function loadStorageConfig(pool: Pool, keyring: Keyring, id: string): Promise<{ integration: Integration; storage: StorageConfig }> {
  const { rows } = await pool.query<Row & { secret_access_key_enc: string; secret_key_id: string }>(
    `SELECT ${COLUMNS}, secret_access_key_enc, secret_key_id FROM integrations WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new IntegrationNotFound(id);
  const secretAccessKey = open(keyring, { keyId: row.secret_key_id, ciphertext: row.secret_access_key_enc }, id);
  const integration = fromRow(row);
  return {
    integration,
    storage: {
      endpoint: integration.endpointUrl,
      region: integration.region,
      forcePathStyle: integration.forcePathStyle,
      accessKeyId: integration.accessKeyId,
      secretAccessKey,
    },
  };
}

export async function setLastStatus(pool: Pool, id: string, status: string, error: string | null): Promise<void> {
  await pool.query('UPDATE integrations SET last_status = $2, last_error = $3, last_status_at = now() WHERE id = $1', [id, status, error]);
}

// ---- Pagination of the integration list (GET /v1/integrations) ----

/** One page, newest first ((created_at, id) descending), and the key of its last row when more follow. */
export interface IntegrationPage {
  integrations: Integration[];
  next: ListCursor | null;
}

/**
 * A keyset page: `(created_at, id) < after`, read backwards from the (created_at, id) index, so a page
 * costs the same at the ten-thousandth integration as at the first. Newest first: an integration created
 * while a client pages lands before the pages it already read, and a deletion only shortens a page, so
 * the following pages never repeat or skip one. One row more than asked says whether a next page exists.
 */
export async function listIntegrationsPage(pool: Pool, opts: { limit: number; after?: ListCursor | null }): Promise<IntegrationPage> {
  const after = opts.after ?? null;
  const values: unknown[] = [opts.limit + 1];
  if (after) values.push(after.createdAt, after.id);
  const { rows } = await pool.query<Row & { cursor_at: string }>(
    `SELECT ${COLUMNS}, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
     FROM integrations
     ${after ? 'WHERE (created_at, id) < ($2::timestamptz, $3::uuid)' : ''}
     ORDER BY created_at DESC, id DESC
     LIMIT $1`,
    values,
  );
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  return {
    integrations: page.map(fromRow),
    next: rows.length > opts.limit && last ? { createdAt: last.cursor_at, id: last.id } : null,
  };
}

export interface IntegrationAppPage {
  integrations: Integration[];
  next: CalendarCursor | null;
}

/**
 * A keyset page in (app_id, id) order, the export calendar's: `(app_id, id) > after`, read forwards from
 * the (app_id, id) index, so the thousandth integration's page costs what the first does. One row more
 * than asked says whether a next page exists.
 */
export async function listIntegrationsByApp(pool: Pool, opts: { limit: number; after?: CalendarCursor | null }): Promise<IntegrationAppPage> {
  const after = opts.after ?? null;
  const values: unknown[] = [opts.limit + 1];
  if (after) values.push(after.appId, after.id);
  const { rows } = await pool.query<Row>(
    `SELECT ${COLUMNS}
     FROM integrations
     ${after ? 'WHERE (app_id, id) > ($2::uuid, $3::uuid)' : ''}
     ORDER BY app_id, id
     LIMIT $1`,
    values,
  );
  const page = rows.slice(0, opts.limit).map(fromRow);
  const last = page.at(-1);
  return { integrations: page, next: rows.length > opts.limit && last ? { appId: last.appId, id: last.id } : null };
}
