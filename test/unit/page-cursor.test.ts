import { describe, expect, it } from 'vitest';
import { decodeCalendarCursor, encodeCalendarCursor } from '../../src/integrations/calendar-cursor.js';
import { decodeListCursor, encodeListCursor } from '../../src/integrations/list-cursor.js';

const ID = '0b7c1c8e-6a43-4d0e-9a57-2f1e7b0c9d11';
const APP = '5f0e2a7d-1c3b-4e9f-8a6d-7b2c1d0e9f88';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');

describe('page cursors', () => {
  it('round-trip the list key with all six fractional digits, and the calendar key', () => {
    const list = { createdAt: '2026-11-30T04:00:00.123456Z', id: ID };
    expect(decodeListCursor(encodeListCursor(list))).toEqual(list);
    expect(decodeCalendarCursor(encodeCalendarCursor({ appId: APP, id: ID }))).toEqual({ appId: APP, id: ID });
  });

  it('refuse what the API did not issue', () => {
    for (const raw of ['', 'not base64!', b64('x'), b64([APP]), b64([APP, ID, 1]), b64([APP, 'not-a-uuid']), b64([1, ID])]) {
      expect(decodeCalendarCursor(raw)).toBeNull();
      expect(decodeListCursor(raw)).toBeNull();
    }
    // Each list checks its own key: a millisecond instant or a calendar key is no list cursor, and back.
    expect(decodeListCursor(b64(['2026-11-30T04:00:00.123Z', ID]))).toBeNull();
    expect(decodeListCursor(encodeCalendarCursor({ appId: APP, id: ID }))).toBeNull();
    expect(decodeCalendarCursor(encodeListCursor({ createdAt: '2026-11-30T04:00:00.123456Z', id: ID }))).toBeNull();
    expect(decodeListCursor(b64(['2026-13-45T04:00:00.123456Z', ID]))).toBeNull();
  });
});
