import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import { buildKeyring, type Keyring } from '../crypto/secrets.js';
import type { Env } from './env.js';

export const DEV_KEY_FILE = path.join(PROJECT_ROOT, '.local', 'dev-encryption-key');

/**
 * ENCRYPTION_KEY from the environment; outside production, the key scripts/services.sh generated for
 * local development, so `npm start` and `npm test` need no setup.
 */
export function keyringFromEnv(env: Pick<Env, 'ENCRYPTION_KEY' | 'ENCRYPTION_KEYS_PREVIOUS'>): Keyring {
  let key = env.ENCRYPTION_KEY;
  if (!key && process.env.NODE_ENV !== 'production' && existsSync(DEV_KEY_FILE)) {
    key = readFileSync(DEV_KEY_FILE, 'utf8').trim();
  }
  return buildKeyring(key, env.ENCRYPTION_KEYS_PREVIOUS);
}
