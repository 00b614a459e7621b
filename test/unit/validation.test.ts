import { describe, expect, it } from 'vitest';
import { tokenMatcher } from '../../src/api/plugins/auth.js';
import { schemaErrorDetails } from '../../src/api/plugins/error-handler.js';
import { resolveApiTokens } from '../../src/api/server.js';
import { explainProbeError } from '../../src/integrations/test-connection.js';
import {
  classifyAddress,
  concurrencyProblems,
  dayRangeProblems,
  endpointProblems,
  integrationFieldProblems,
  type EndpointPolicy,
} from '../../src/integrations/validation.js';
import { isTemporalUnavailable } from '../../src/temporal/errors.js';

const open: EndpointPolicy = { allowPlainHttp: true, allowPrivate: true };
const strict: EndpointPolicy = { allowPlainHttp: false, allowPrivate: false, allowLoopback: false };
const resolvesTo =
  (...addresses: string[]) =>
  async () =>
    addresses;

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['52.95.110.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['169.254.0.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['fd00:ec2:0:0:0:0:0:254', 'metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    // IPv4 carried inside IPv6 is judged as the IPv4 address.
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['::127.0.0.1', 'loopback'],
    ['not-an-ip', 'reserved'],
  ])('%s is %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });
});

describe('endpointProblems', () => {
  it('accepts an https endpoint that resolves to public addresses', async () => {
    expect(await endpointProblems('https://s3.eu-central-1.amazonaws.com', { ...strict, lookup: resolvesTo('52.219.170.1', '2600:1f18::1') })).toEqual([]);
    expect(await endpointProblems('https://minio.example.com:9000/', { ...strict, lookup: resolvesTo('203.0.114.7') })).toEqual([]);
  });

  it.each([
    ['', /absolute URL/],
    ['s3.amazonaws.com', /absolute URL/],
    ['//s3.amazonaws.com', /absolute URL/],
    ['ftp://s3.amazonaws.com', /https/],
    ['javascript:alert(1)', /https/],
    ['https://key:secret@s3.amazonaws.com', /credentials/],
    ['https://key@s3.amazonaws.com', /credentials/],
    ['https://s3.amazonaws.com/?a=b', /query/],
    ['https://s3.amazonaws.com/?', /query/],
    ['https://s3.amazonaws.com/#x', /fragment/],
  ])('rejects %j', async (url, rule) => {
    const problems = await endpointProblems(url, { ...open, lookup: resolvesTo('52.219.170.1') });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.field === 'endpointUrl')).toBe(true);
    expect(problems.map((p) => p.rule).join(' ')).toMatch(rule);
  });

  it('never echoes credentials from the URL', async () => {
    const problems = await endpointProblems('https://AKIAXXXX:wJalrXUtnFEMI@s3.amazonaws.com', open);
    expect(JSON.stringify(problems)).not.toContain('wJalrXUtnFEMI');
  });

  it('always refuses metadata and link-local targets, whatever the configuration', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://[fd00:ec2::254]',
      'http://metadata.google.internal',
      'http://METADATA.GOOGLE.INTERNAL.',
      'http://[::ffff:169.254.169.254]',
    ]) {
      expect((await endpointProblems(url, open))[0]?.rule, url).toMatch(/metadata/);
    }
    expect((await endpointProblems('http://[fe80::1]', open))[0]?.rule).toMatch(/link-local/);
    // A name that resolves there is refused too (DNS pointing at the metadata service).
    expect((await endpointProblems('https://innocent.example.com', { ...open, lookup: resolvesTo('169.254.169.254') }))[0]?.rule).toMatch(/metadata/);
    expect((await endpointProblems('https://innocent.example.com', { ...open, lookup: resolvesTo('8.8.8.8', '169.254.1.1') }))[0]?.rule).toMatch(/link-local/);
  });

  it('refuses private and loopback addresses unless allowed; loopback alone may be allowed for local development', async () => {
    expect((await endpointProblems('https://10.0.0.5', strict))[0]?.rule).toMatch(/private address \(10\.0\.0\.5\)/);
    expect((await endpointProblems('https://minio.internal', { ...strict, lookup: resolvesTo('52.1.1.1', '192.168.1.4') }))[0]?.rule).toMatch(/private/);
    expect((await endpointProblems('https://127.0.0.1:8333', strict))[0]?.rule).toMatch(/loopback/);
    expect(await endpointProblems('https://127.0.0.1:8333', { ...strict, allowLoopback: true })).toEqual([]);
    expect((await endpointProblems('https://10.0.0.5', { ...strict, allowLoopback: true }))[0]?.rule).toMatch(/private/);
    expect(await endpointProblems('https://10.0.0.5', { ...strict, allowPrivate: true })).toEqual([]);
  });

  it('refuses plain http unless allowed', async () => {
    expect((await endpointProblems('http://s3.example.com', { ...strict, lookup: resolvesTo('52.1.1.1') }))[0]?.rule).toMatch(/must use https/);
    expect(await endpointProblems('http://s3.example.com', { ...strict, allowPlainHttp: true, lookup: resolvesTo('52.1.1.1') })).toEqual([]);
    expect(await endpointProblems('http://127.0.0.1:8333', open)).toEqual([]);
  });

  it('refuses a host that does not resolve, or not in time', async () => {
    const fail = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect((await endpointProblems('https://nope.example', { ...open, lookup: fail }))[0]?.rule).toMatch(/does not resolve \(ENOTFOUND\)/);
    expect((await endpointProblems('https://nope.example', { ...open, lookup: resolvesTo() }))[0]?.rule).toMatch(/does not resolve/);
    const hang = () => new Promise<string[]>(() => undefined);
    expect((await endpointProblems('https://slow.example', { ...open, lookup: hang, lookupTimeoutMs: 20 }))[0]?.rule).toMatch(
      /does not resolve \(no answer in time\)/,
    );
  });
});

describe('dayRangeProblems', () => {
  const limits = { today: '2026-06-15', maxDays: 731, completeDaysOnly: true };
  it('accepts a range of complete days', () => {
    expect(dayRangeProblems('2026-05-01', '2026-05-07', limits)).toEqual([]);
    expect(dayRangeProblems('2026-06-14', '2026-06-14', limits)).toEqual([]);
    expect(dayRangeProblems('2028-02-29', '2028-02-29', { ...limits, today: '2029-01-01' })).toEqual([]);
  });
  it('rejects days that are not real calendar days', () => {
    expect(dayRangeProblems('2026-02-30', '2026-03-01', limits)).toEqual([{ field: 'from', rule: expect.stringMatching(/real calendar day/) }]);
    expect(dayRangeProblems('2026-02-01', '2026-02-29', limits)).toEqual([{ field: 'to', rule: expect.stringMatching(/real calendar day/) }]);
    expect(dayRangeProblems('2026-00-10', '2026-13-01', limits).map((p) => p.field)).toEqual(['from', 'to']);
  });
  it('rejects from after to', () => {
    expect(dayRangeProblems('2026-05-08', '2026-05-07', limits)).toEqual([{ field: 'from', rule: expect.stringMatching(/on or before to/) }]);
  });
  it('rejects today and later for backfills, not for reading', () => {
    expect(dayRangeProblems('2026-06-10', '2026-06-15', limits)).toEqual([{ field: 'to', rule: expect.stringMatching(/before today in UTC \(2026-06-15\)/) }]);
    expect(dayRangeProblems('2026-06-10', '2026-07-01', limits)[0]?.field).toBe('to');
    expect(dayRangeProblems('2026-06-10', '2026-06-15', { ...limits, completeDaysOnly: false })).toEqual([]);
  });
  it('allows exactly the maximum number of days, not one more', () => {
    expect(dayRangeProblems('2024-06-14', '2026-06-14', limits)).toEqual([]);
    expect(dayRangeProblems('2024-06-13', '2026-06-14', limits)).toEqual([{ field: 'to', rule: 'range covers 732 days; at most 731 are allowed' }]);
  });
});

describe('concurrencyProblems and integrationFieldProblems', () => {
  it('checks concurrency against the configured maximum', () => {
    expect(concurrencyProblems(undefined, 16)).toEqual([]);
    expect(concurrencyProblems(16, 16)).toEqual([]);
    expect(concurrencyProblems(17, 16)[0]?.rule).toBe('must be a whole number from 1 to 16');
    expect(concurrencyProblems(0, 16)).toHaveLength(1);
    expect(concurrencyProblems(1.5, 16)).toHaveLength(1);
  });
  it('checks bucket, folder and event types', () => {
    expect(
      integrationFieldProblems({ bucket: 'adapty-ua-events/com.sample-app', folder: 'exports/2026', settings: { eventTypes: ['install', 'TRIAL_STARTED'] } }),
    ).toEqual([]);
    const problems = integrationFieldProblems({ bucket: 'Bad_Bucket', folder: '../up', settings: { eventTypes: ['install', 'app_open'] } });
    expect(problems.map((p) => p.field)).toEqual(expect.arrayContaining(['bucket', 'folder', 'settings.eventTypes']));
    expect(problems.find((p) => p.field === 'settings.eventTypes')?.rule).toMatch(/"app_open".*valid types are install, reinstall/);
  });
});

describe('schemaErrorDetails', () => {
  it('turns TypeBox and Ajv errors into { field, rule }', () => {
    expect(
      schemaErrorDetails(
        [
          {
            keyword: 'required',
            instancePath: '',
            params: { requiredProperties: ['appId', 'bucket'] },
            message: 'must have required properties appId, bucket',
          },
          { keyword: 'boolean', instancePath: '/settings/x', schemaPath: '#/properties/settings/additionalProperties', params: {}, message: 'schema is false' },
          {
            keyword: 'additionalProperties',
            instancePath: '/settings',
            params: { additionalProperties: ['x'] },
            message: 'must not have additional properties',
          },
          { keyword: 'required', instancePath: '', params: { missingProperty: 'to' }, message: "must have required property 'to'" },
          { keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'color' }, message: 'must NOT have additional properties' },
          { keyword: 'minItems', instancePath: '/settings/eventTypes', params: { limit: 1 }, message: 'must not have fewer than 1 items' },
          { keyword: 'type', instancePath: '/settings/eventTypes', params: { type: 'null' }, message: 'must be null' },
          { keyword: 'anyOf', instancePath: '/settings/eventTypes', params: {}, message: 'must match a schema in anyOf' },
          { keyword: 'type', instancePath: '/tables/1', params: {}, message: 'must be string' },
          { keyword: 'type', instancePath: '', params: { type: 'object' }, message: 'must be object' },
        ],
        'body',
      ),
    ).toEqual([
      { field: 'appId', rule: 'is required' },
      { field: 'bucket', rule: 'is required' },
      { field: 'settings.x', rule: 'is not a known field' },
      { field: 'to', rule: 'is required' },
      { field: 'color', rule: 'is not a known field' },
      { field: 'settings.eventTypes', rule: 'must not have fewer than 1 items' },
      { field: 'tables[1]', rule: 'must be string' },
      { field: 'body', rule: 'must be object' },
    ]);
  });
});

describe('API tokens', () => {
  it('matches only a configured token, exactly', () => {
    const matches = tokenMatcher(['alpha-token', 'beta-token']);
    expect(matches('alpha-token')).toBe(true);
    expect(matches('beta-token')).toBe(true);
    expect(matches('alpha-toke')).toBe(false);
    expect(matches('alpha-tokenX')).toBe(false);
    expect(matches('')).toBe(false);
    expect(tokenMatcher([])('anything')).toBe(false);
  });
  it('generates a development token only outside production', () => {
    expect(resolveApiTokens('a, b,,c ', 'production')).toEqual({ tokens: ['a', 'b', 'c'], generated: null });
    const dev = resolveApiTokens('', 'development');
    expect(dev.generated).toMatch(/^dev_[A-Za-z0-9_-]{32}$/);
    expect(dev.tokens).toEqual([dev.generated]);
    expect(() => resolveApiTokens('', 'production')).toThrow(/API_TOKENS/);
  });
});

describe('errors that say what to fix', () => {
  const ctx = { endpoint: 'https://s3.example.com', bucket: 'b', accessKeyId: 'AKIAEXAMPLE1234' };
  it('calls a refused or timed-out connection unreachable', () => {
    for (const code of ['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH']) {
      const e = explainProbeError(Object.assign(new Error('connect failed'), { code }), ctx);
      expect(e.unreachable).toBe(true);
      expect(e.message).toMatch(new RegExp(`unreachable \\(${code}\\): check the endpoint URL and port`));
    }
  });
  it('passes storage answers through the classifier', () => {
    expect(explainProbeError({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } }, ctx).message).toMatch(
      /re-enter the integration's secretAccessKey/,
    );
    expect(explainProbeError({ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } }, ctx).message).toMatch(/\*\*\*\*1234/);
    const tls = explainProbeError(Object.assign(new Error('wrong version'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), ctx);
    expect(tls).toMatchObject({ unreachable: true, message: expect.stringMatching(/TLS handshake/) });
  });
  it('recognises an unreachable Temporal by its gRPC code', () => {
    expect(isTemporalUnavailable({ message: 'x', cause: { code: 14 } })).toBe(true);
    expect(isTemporalUnavailable({ code: 4 })).toBe(true);
    expect(isTemporalUnavailable(new Error('boom'))).toBe(false);
    expect(isTemporalUnavailable({ code: '14' })).toBe(false);
  });
});
