import type { Problem } from '../export/keys.js';
import { decodePairCursor, encodePairCursor, isUuid } from './page-cursor.js';

/**
 * The opaque `cursor` of GET /v1/calendar: the (app_id, id) of the last integration of a page, as
 * base64url JSON. The calendar lists integrations by app id (what a person scans for), not newest first
 * like GET /v1/integrations, so it has a cursor of its own.
 */
export interface CalendarCursor {
  appId: string;
  id: string;
}

export function encodeCalendarCursor(c: CalendarCursor): string {
  return encodePairCursor(c.appId, c.id);
}

export const BAD_CALENDAR_CURSOR: Problem = {
  field: 'cursor',
  rule: 'must be a nextCursor returned by GET /v1/calendar, unchanged (omit it for the first page)',
};

/** The cursor, or null when it is not one this API issued (the caller answers 400 naming `cursor`). */
export function decodeCalendarCursor(raw: string): CalendarCursor | null {
  const pair = decodePairCursor(raw, isUuid);
  return pair && { appId: pair[0], id: pair[1] };
}
