import type { Problem } from '../export/keys.js';
import { decodePairCursor, encodePairCursor } from './page-cursor.js';

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

export function encodeListCursor(c: ListCursor): string {
  return encodePairCursor(c.createdAt, c.id);
}

export const BAD_CURSOR: Problem = {
  field: 'cursor',
  rule: 'must be a nextCursor returned by GET /v1/integrations, unchanged (omit it for the first page)',
};

/** The cursor, or null when it is not one this API issued (the caller answers 400 naming `cursor`). */
export function decodeListCursor(raw: string): ListCursor | null {
  const pair = decodePairCursor(raw, (key) => INSTANT.test(key) && !Number.isNaN(Date.parse(key)));
  return pair && { createdAt: pair[0], id: pair[1] };
}
