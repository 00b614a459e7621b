import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM sealing of customer credentials at rest. Each ciphertext carries the id of the key that
 * sealed it, so ENCRYPTION_KEY can rotate: the old key moves to ENCRYPTION_KEYS_PREVIOUS and rows
 * are re-sealed (or simply keep working) without downtime.
 */
export interface Keyring {
  current: { id: string; key: Buffer };
  byId: Map<string, Buffer>;
}

export class SecretError extends Error {
  override name = 'SecretError';
}

function parseKey(text: string, field: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new SecretError(`${field} must be 32 bytes, base64 or hex encoded (got ${key.length} bytes)`);
  }
  return key;
}

/** Key ids are a fingerprint of the key, so they can be derived anywhere without a registry. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('ua-export-key-id:').update(key).digest('hex').slice(0, 12);
}

export function buildKeyring(currentKey: string | undefined, previousKeys = ''): Keyring {
  if (!currentKey) throw new SecretError('ENCRYPTION_KEY is required (32 bytes, base64 or hex)');
  const key = parseKey(currentKey, 'ENCRYPTION_KEY');
  const byId = new Map<string, Buffer>([[keyId(key), key]]);
  previousKeys
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .forEach((k, i) => {
      const prev = parseKey(k, `ENCRYPTION_KEYS_PREVIOUS[${i}]`);
      byId.set(keyId(prev), prev);
    });
  return { current: { id: keyId(key), key }, byId };
}

export interface Sealed {
  keyId: string;
  ciphertext: string;
}

export function seal(keyring: Keyring, plaintext: string, aad: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyring.current.key, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return { keyId: keyring.current.id, ciphertext: Buffer.concat([iv, tag, data]).toString('base64') };
}

/** `aad` binds a ciphertext to its row (the integration id), so a secret copied to another row won't open. */
export function open(keyring: Keyring, sealed: Sealed, aad: string): string {
  const key = keyring.byId.get(sealed.keyId);
  if (!key) {
    throw new SecretError(`secret was sealed with key ${sealed.keyId}, which is neither ENCRYPTION_KEY nor in ENCRYPTION_KEYS_PREVIOUS`);
  }
  const raw = Buffer.from(sealed.ciphertext, 'base64');
  // iv (12) + a full 16-byte tag, at least: a truncated tag would make forgery far cheaper.
  if (raw.length < 28) throw new SecretError(`secret sealed with key ${sealed.keyId} is truncated`);
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretError(`secret sealed with key ${sealed.keyId} failed authentication (wrong key or tampered row)`);
  }
}
