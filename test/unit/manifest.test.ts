import { describe, expect, it } from 'vitest';
import { buildManifest, jsonLine, MANIFEST_KEYS } from '../../src/export/manifest.js';
import { buildExportPlan } from '../../src/export/plan.js';
import { normalizeSettings } from '../../src/export/settings.js';
import { tableSchema } from '../../src/export/table-schema.js';

const plan = buildExportPlan(
  {
    id: '11111111-1111-4111-8111-111111111111',
    appId: '22222222-2222-4222-8222-222222222222',
    endpointUrl: 'http://s3',
    bucket: 'b/p',
    folder: 'f',
    settings: normalizeSettings({ sendUserAttributes: true }),
  },
  '2026-03-01',
  ['ua_events'],
);
const manifest = buildManifest({
  plan,
  file: plan.files[0]!,
  table: 'ua_events',
  day: '2026-03-01',
  integrationId: plan.integrationId,
  workflowId: 'wf',
  runId: 'run',
  rows: 3,
  bytes: 100,
  parts: 1,
  partSize: 5 * 1024 * 1024,
  sha256: 'ab',
  etag: '"e"',
  exportedAt: new Date('2026-03-02T04:00:00.000Z'),
});

describe('the manifest', () => {
  it('has its keys in the documented order', () => {
    expect(Object.keys(manifest)).toEqual([...MANIFEST_KEYS]);
    // The serialized line keeps that order.
    const line = jsonLine(manifest).toString('utf8');
    expect(Object.keys(JSON.parse(line) as object)).toEqual([...MANIFEST_KEYS]);
  });

  it("carries the file's Table Schema next to its columns", () => {
    expect(manifest.schema).toEqual(tableSchema('ua_events', { sendUserAttributes: true }));
    expect(manifest.schema.fields.map((f) => f.name)).toEqual(manifest.columns);
  });

  it('is written as one line of JSON ending in a newline (NDJSON), even with newlines in its values', () => {
    const line = jsonLine({ ...manifest, key: 'a\nb' }).toString('utf8');
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const twoManifests = jsonLine(manifest).toString('utf8') + jsonLine(manifest).toString('utf8');
    expect(
      twoManifests
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { sha256: string }).sha256),
    ).toEqual(['ab', 'ab']);
  });
});
