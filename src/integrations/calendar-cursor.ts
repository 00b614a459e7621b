import type { Problem } from '../export/keys.js';

/**
 * The opaque `cursor` of GET /v1/calendar: the (app_id, id) of the last integration of a page, as
 * base64url JSON. The calendar lists integrations by app id (what a person scans for), not newest first
 * like GET /v1/integrations, so it has a cursor of its own.
 */
export interface CalendarCursor {
  appId: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCalendarCursor(c: CalendarCursor): string {
  return Buffer.from(JSON.stringify([c.appId, c.id]), 'utf8').toString('base64url');
}

export const BAD_CALENDAR_CURSOR: Problem = {
  field: 'cursor',
  rule: 'must be a nextCursor returned by GET /v1/calendar, unchanged (omit it for the first page)',
};

/** The cursor, or null when it is not one this API issued (the caller answers 400 naming `cursor`). */
export function decodeCalendarCursor(raw: string): CalendarCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return null;
  const [appId, id] = parsed as unknown[];
  if (typeof appId !== 'string' || typeof id !== 'string' || !UUID.test(appId) || !UUID.test(id)) return null;
  return { appId, id };
}
