import { describe, expect, it } from 'vitest';
import { bucketNameProblems, bucketProblems, folderProblems, joinKey, objectKeys, parseBucket, tableSchemaKey } from '../../src/export/keys.js';

describe('parseBucket', () => {
  it.each([
    ['adapty-ua-events', 'adapty-ua-events', ''],
    ['adapty-ua-events/com.sample-app', 'adapty-ua-events', 'com.sample-app'],
    ['adapty-ua-events/com.sample-app/exports', 'adapty-ua-events', 'com.sample-app/exports'],
    ['/adapty-ua-events/com.sample-app/', 'adapty-ua-events', 'com.sample-app'],
    ['adapty-ua-events//com.sample-app//x', 'adapty-ua-events', 'com.sample-app/x'],
    ['//adapty-ua-events///', 'adapty-ua-events', ''],
    ['', '', ''],
    ['///', '', ''],
  ])('%j → bucket %j, prefix %j', (value, bucket, prefix) => {
    expect(parseBucket(value)).toEqual({ bucket, prefix });
  });
});

describe('bucketNameProblems', () => {
  const rules = (name: string) => bucketNameProblems(name).map((p) => p.rule);

  it.each([
    'abc',
    'adapty-ua-events',
    'my.bucket.name',
    'a1b2c3',
    '123',
    'a'.repeat(63),
    'bucket-xn--inside',
    'sthree', // only the "sthree-" prefix is reserved
    'my-s3alias-not-at-end',
    '1.2.3', // three groups: not an IP
    '192.168.5.4x',
  ])('accepts %j', (name) => {
    expect(bucketNameProblems(name)).toEqual([]);
  });

  it.each([
    ['ab', /3 to 63 characters/],
    ['', /3 to 63 characters/],
    ['a'.repeat(64), /3 to 63 characters/],
    ['MyBucket', /only lowercase letters, digits, dots and hyphens/],
    ['my_bucket', /only lowercase letters, digits, dots and hyphens/],
    ['my bucket', /only lowercase letters, digits, dots and hyphens/],
    ['-bucket', /begin and end with a letter or digit/],
    ['bucket-', /begin and end with a letter or digit/],
    ['.bucket', /begin and end with a letter or digit/],
    ['bucket.', /begin and end with a letter or digit/],
    ['my..bucket', /two adjacent dots/],
    ['192.168.5.4', /IP address/],
    ['10.0.0.1', /IP address/],
    ['xn--bucket', /must not start with "xn--", "sthree-"/],
    ['sthree-bucket', /must not start with "xn--", "sthree-"/],
    ['sthree-configurator', /must not start with "xn--", "sthree-"/],
    ['my-bucket-s3alias', /must not end with "-s3alias", "--ol-s3"/],
    ['my-bucket--ol-s3', /must not end with "-s3alias", "--ol-s3"/],
  ])('rejects %j', (name, rule) => {
    const found = rules(name);
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((r) => rule.test(r))).toBe(true);
  });

  it('reports every broken rule, each once, under the given field', () => {
    const problems = bucketNameProblems('-A..', 'integration.bucket');
    expect(problems.every((p) => p.field === 'integration.bucket')).toBe(true);
    const found = problems.map((p) => p.rule);
    expect(found).toHaveLength(3);
    expect(found.some((r) => /only lowercase/.test(r))).toBe(true);
    expect(found.some((r) => /begin and end/.test(r))).toBe(true);
    expect(found.some((r) => /adjacent dots/.test(r))).toBe(true);
  });

  it('uses "bucket" as the default field', () => {
    expect(bucketNameProblems('ab')).toEqual([{ field: 'bucket', rule: 'bucket name must be 3 to 63 characters long' }]);
  });
});

describe('bucketProblems', () => {
  it('checks the bucket segment and the prefix separately', () => {
    expect(bucketProblems('adapty-ua-events/com.sample-app')).toEqual([]);
    // The prefix may hold characters the bucket name may not.
    expect(bucketProblems('adapty-ua-events/Com_Sample App')).toEqual([]);
    expect(
      bucketProblems('Bad_Bucket/ok')
        .map((p) => p.rule)
        .join(' '),
    ).toMatch(/only lowercase/);
    expect(bucketProblems('good-bucket/../etc').map((p) => p.rule)).toEqual(['folder segments must not be "." or ".."']);
  });
});

describe('folderProblems', () => {
  it.each(['', 'exports', 'a/b/c', '/leading/and/trailing/', 'with spaces/and-UPPER_case', 'dots.in.name/x..y', 'émoji-📦'])('accepts %j', (folder) => {
    expect(folderProblems(folder)).toEqual([]);
  });

  it.each([
    ['.', /"\." or "\.\."/],
    ['..', /"\." or "\.\."/],
    ['a/../b', /"\." or "\.\."/],
    ['a/./b', /"\." or "\.\."/],
    ['a\\b', /control characters or backslashes/],
    ['a\nb', /control characters or backslashes/],
    ['tab\there', /control characters or backslashes/],
    ['nul\u0000', /control characters or backslashes/],
    ['del\u007f', /control characters or backslashes/],
    ['x'.repeat(513), /at most 512/],
  ])('rejects %j', (folder, rule) => {
    const problems = folderProblems(folder, 'folder');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.field === 'folder')).toBe(true);
    expect(problems.some((p) => rule.test(p.rule))).toBe(true);
  });

  it('allows exactly 512 characters', () => {
    expect(folderProblems('x'.repeat(512))).toEqual([]);
  });
});

describe('joinKey', () => {
  it('drops empty segments and stray slashes', () => {
    expect(joinKey('/a/', '', '//b', 'c/')).toBe('a/b/c');
    expect(joinKey('', '', '')).toBe('');
  });
});

describe('objectKeys', () => {
  const day = '2026-11-28';

  it('no prefix, no folder', () => {
    expect(objectKeys('adapty-ua-events', '', 'ua_events', day)).toEqual({
      bucket: 'adapty-ua-events',
      dir: 'ua_events/dt=2026-11-28',
      dataKey: 'ua_events/dt=2026-11-28/ua_events_2026-11-28.csv',
      manifestKey: 'ua_events/dt=2026-11-28/_manifest.json',
    });
  });

  it('prefix only', () => {
    expect(objectKeys('adapty-ua-events/com.sample-app', '', 'campaign_metrics', day)).toEqual({
      bucket: 'adapty-ua-events',
      dir: 'com.sample-app/campaign_metrics/dt=2026-11-28',
      dataKey: 'com.sample-app/campaign_metrics/dt=2026-11-28/campaign_metrics_2026-11-28.csv',
      manifestKey: 'com.sample-app/campaign_metrics/dt=2026-11-28/_manifest.json',
    });
  });

  it('folder only', () => {
    expect(objectKeys('adapty-ua-events', 'exports/v1', 'ua_events', day)).toEqual({
      bucket: 'adapty-ua-events',
      dir: 'exports/v1/ua_events/dt=2026-11-28',
      dataKey: 'exports/v1/ua_events/dt=2026-11-28/ua_events_2026-11-28.csv',
      manifestKey: 'exports/v1/ua_events/dt=2026-11-28/_manifest.json',
    });
  });

  it('prefix and folder', () => {
    expect(objectKeys('adapty-ua-events/com.sample-app', 'exports', 'ua_events', day)).toEqual({
      bucket: 'adapty-ua-events',
      dir: 'com.sample-app/exports/ua_events/dt=2026-11-28',
      dataKey: 'com.sample-app/exports/ua_events/dt=2026-11-28/ua_events_2026-11-28.csv',
      manifestKey: 'com.sample-app/exports/ua_events/dt=2026-11-28/_manifest.json',
    });
  });

  it.each([
    ['/exports/', '//adapty-ua-events//com.sample-app//'],
    ['//exports//v1//', 'adapty-ua-events/com.sample-app/'],
    ['/', 'adapty-ua-events/'],
    ['exports/', '/adapty-ua-events'],
  ])('folder %j with bucket %j never yields "//" or a leading "/"', (folder, bucketField) => {
    const keys = objectKeys(bucketField, folder, 'ua_events', day);
    expect(keys.bucket).toBe('adapty-ua-events');
    for (const k of [keys.dir, keys.dataKey, keys.manifestKey]) {
      expect(k).not.toMatch(/\/\//);
      expect(k.startsWith('/')).toBe(false);
      expect(k.endsWith('/')).toBe(false);
    }
    expect(keys.dataKey).toMatch(/(^|\/)ua_events\/dt=2026-11-28\/ua_events_2026-11-28\.csv$/);
  });

  it('stray slashes produce the same keys as the clean spelling', () => {
    expect(objectKeys('//adapty-ua-events//com.sample-app//', '//exports//v1//', 'ua_events', day)).toEqual({
      bucket: 'adapty-ua-events',
      dir: 'com.sample-app/exports/v1/ua_events/dt=2026-11-28',
      dataKey: 'com.sample-app/exports/v1/ua_events/dt=2026-11-28/ua_events_2026-11-28.csv',
      manifestKey: 'com.sample-app/exports/v1/ua_events/dt=2026-11-28/_manifest.json',
    });
  });
});

describe('regressions found in review', () => {
  // bucketNameProblems claims AWS general-purpose rules, but AWS also reserves the prefix
  // "amzn-s3-demo-" and the suffixes ".mrap", "--x-s3" and "--table-s3"
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). Such names pass
  // validation and only fail later at the provider.
  it.each(['amzn-s3-demo-bucket', 'my-bucket.mrap', 'my-bucket--x-s3', 'my-bucket--table-s3'])('rejects %j', (name) => {
    expect(bucketNameProblems(name)).not.toEqual([]);
  });
});

describe('tableSchemaKey', () => {
  it("is the table folder of a day's manifest key, whatever the prefix and folder", () => {
    for (const [bucket, folder] of [
      ['adapty-ua-events', ''],
      ['adapty-ua-events/com.sample-app', 'exports/v1'],
    ] as const) {
      const keys = objectKeys(bucket, folder, 'ua_events', '2026-11-28');
      expect(tableSchemaKey(keys.manifestKey)).toBe(joinKey(parseBucket(bucket).prefix, folder, 'ua_events', '_schema.json'));
    }
    expect(tableSchemaKey('com.sample-app/exports/campaign_metrics/dt=2026-11-28/_manifest.json')).toBe('com.sample-app/exports/campaign_metrics/_schema.json');
  });

  it("refuses a key that is not a day's manifest", () => {
    expect(() => tableSchemaKey('ua_events/_manifest.json')).toThrow(RangeError);
  });
});
