/**
 * The opaque page cursors of the API's lists: the sort key of a page's last row, as base64url JSON of
 * a [key, id] pair. Each list names its own key and how to check it (list-cursor.ts, calendar-cursor.ts).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodePairCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id]), 'utf8').toString('base64url');
}

/** The [key, id] pair, or null when `raw` is not a cursor this API issued with a key `validKey` accepts. */
export function decodePairCursor(raw: string, validKey: (key: string) => boolean): [key: string, id: string] | null {
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return null;
  const [key, id] = parsed as unknown[];
  if (typeof key !== 'string' || typeof id !== 'string' || !UUID.test(id) || !validKey(key)) return null;
  return [key, id];
}

export const isUuid = (s: string): boolean => UUID.test(s);
