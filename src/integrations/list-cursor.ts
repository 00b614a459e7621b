import type { Problem } from '../export/keys.js';

/**
 * The opaque `cursor` of GET /v1/integrations: the (created_at, id) of the last integration of a page,
 * as base64url JSON. The instant is kept as text with all six fractional digits, because a JS Date
 * would drop the microseconds and the next page would then repeat or skip integrations created within
 * the same millisecond.
 */
export interface ListCursor {
  createdAt: string;
  id: string;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeListCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.id]), 'utf8').toString('base64url');
}

export const BAD_CURSOR: Problem = {
  field: 'cursor',
  rule: 'must be a nextCursor returned by GET /v1/integrations, unchanged (omit it for the first page)',
};

/** The cursor, or null when it is not one this API issued (the caller answers 400 naming `cursor`). */
export function decodeListCursor(raw: string): ListCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return null;
  const [createdAt, id] = parsed as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || !INSTANT.test(createdAt) || !UUID.test(id)) return null;
  if (Number.isNaN(Date.parse(createdAt))) return null;
  return { createdAt, id };
}
