import { open, type Keyring } from '../crypto/secrets.js';
import type { Pool } from '../db/pool.js';
import { alertsSecretAad, IntegrationNotFound, type AlertFormat } from '../integrations/repo.js';

export interface AlertTarget {
  integrationId: string;
  appId: string;
  webhookUrl: string;
  format: AlertFormat;
  /** Decrypted right before sending; never logged, returned or put in a payload. */
  secret: string | null;
}

/** The integration's webhook with its secret opened, or null when it has no webhook. */
export async function loadAlertTarget(pool: Pool, keyring: Keyring, integrationId: string): Promise<AlertTarget | null> {
  const { rows } = await pool.query<{
    app_id: string;
    alerts_webhook_url: string | null;
    alerts_format: AlertFormat | null;
    alerts_secret_enc: string | null;
    alerts_secret_key_id: string | null;
  }>(`SELECT app_id, alerts_webhook_url, alerts_format, alerts_secret_enc, alerts_secret_key_id FROM integrations WHERE id = $1`, [integrationId]);
  const r = rows[0];
  if (!r) throw new IntegrationNotFound(integrationId);
  if (!r.alerts_webhook_url) return null;
  const secret =
    r.alerts_secret_enc && r.alerts_secret_key_id
      ? open(keyring, { keyId: r.alerts_secret_key_id, ciphertext: r.alerts_secret_enc }, alertsSecretAad(integrationId))
      : null;
  return { integrationId, appId: r.app_id, webhookUrl: r.alerts_webhook_url, format: r.alerts_format ?? 'json', secret };
}
