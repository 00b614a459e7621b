import { describe, expect, it } from 'vitest';
import { integrationPrefix, ownedDataKeyDay } from '../../src/s3/orphan-uploads.js';

describe('which open uploads the orphan sweep may touch', () => {
  it('lists under the integration folder, bucket prefix included, or the bucket root when there is none', () => {
    expect(integrationPrefix('bkt/custom/path', 'ua')).toBe('custom/path/ua/');
    expect(integrationPrefix('bkt', 'ua')).toBe('ua/');
    expect(integrationPrefix('bkt', '')).toBe('');
  });

  it.each([
    ['custom/ua/ua_events/dt=2026-03-01/ua_events_2026-03-01.csv', '2026-03-01'],
    ['custom/ua/campaign_metrics/dt=2026-02-28/campaign_metrics_2026-02-28.csv', '2026-02-28'],
  ])('owns %s (day %s): exactly the key keys.ts writes', (key, day) => {
    expect(ownedDataKeyDay('bkt/custom', 'ua', key)).toBe(day);
  });

  it.each([
    // The customer's own files next to ours.
    'custom/ua/ua_events/dt=2026-03-01/notes.csv',
    'custom/ua/backups/big.bin',
    // Our file name one folder too deep, or in another integration's folder: a look-alike, not ours.
    'custom/ua/old/ua_events/dt=2026-03-01/ua_events_2026-03-01.csv',
    'custom/other/ua_events/dt=2026-03-01/ua_events_2026-03-01.csv',
    // Table and day that disagree, an unknown table, a day that is not a calendar day.
    'custom/ua/ua_events/dt=2026-03-01/ua_events_2026-03-02.csv',
    'custom/ua/users/dt=2026-03-01/users_2026-03-01.csv',
    'custom/ua/ua_events/dt=2026-02-30/ua_events_2026-02-30.csv',
    // Manifests are single PUTs, never multipart: not a data key.
    'custom/ua/ua_events/dt=2026-03-01/_manifest.json',
  ])('does not own %s', (key) => {
    expect(ownedDataKeyDay('bkt/custom', 'ua', key)).toBeNull();
  });
});
