import { PassThrough } from 'node:stream';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/client.js';
import { DEFAULT_API_URL, resolveConnection, resolveSecret } from '../../src/cli/config.js';
import {
  createIntegrationBody,
  exportsQuery,
  parseEventTypes,
  parseIntervalSeconds,
  parseList,
  parsePositiveInt,
  parseTables,
  startBackfillBody,
} from '../../src/cli/requests.js';

const APP = '0b0a4c39-3a43-4c4e-9d7a-5d0b8f1d2e3f';

describe('argument parsers', () => {
  it('splits comma lists, dropping blanks', () => {
    expect(parseList('a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseList('')).toEqual([]);
  });

  it('accepts only whole numbers ≥ 1 for counts', () => {
    expect(parsePositiveInt('4')).toBe(4);
    for (const bad of ['0', '-1', '1.5', 'x', '']) expect(() => parsePositiveInt(bad)).toThrow(InvalidArgumentError);
  });

  it('reads --interval in seconds, returns milliseconds', () => {
    expect(parseIntervalSeconds('1')).toBe(1000);
    expect(parseIntervalSeconds('0.5')).toBe(500);
    for (const bad of ['0', '0.1', 'x', '', '99999']) expect(() => parseIntervalSeconds(bad)).toThrow(InvalidArgumentError);
  });

  it('checks table names and names the valid ones', () => {
    expect(parseTables('ua_events')).toEqual(['ua_events']);
    expect(parseTables('campaign_metrics, ua_events,ua_events')).toEqual(['campaign_metrics', 'ua_events']);
    expect(() => parseTables('ua_events,foo')).toThrow(/unknown table foo: use ua_events, campaign_metrics/);
    expect(() => parseTables(',')).toThrow(InvalidArgumentError);
  });

  it('treats --event-types all as every type (null)', () => {
    expect(parseEventTypes('all')).toBeNull();
    expect(parseEventTypes('install, trial_started')).toEqual(['install', 'trial_started']);
  });
});

describe('integrations create → POST /v1/integrations body', () => {
  const base = { appId: APP, endpointUrl: 'https://s3.example.com', bucket: 'b/ua', accessKeyId: 'AKIA1234' };

  it('sends only what was given, so the API defaults apply', () => {
    expect(createIntegrationBody({ ...base, pathStyle: true }, 's3cr3t')).toEqual({ ...base, secretAccessKey: 's3cr3t' });
  });

  it('maps every flag', () => {
    const body = createIntegrationBody(
      {
        ...base,
        folder: 'f',
        region: 'eu-central-1',
        pathStyle: false,
        disabled: true,
        excludeHistoricalEvents: true,
        includeEventsWithoutProfile: true,
        sendUserAttributes: true,
        eventTypes: ['install'],
      },
      's3cr3t',
    );
    expect(body).toEqual({
      ...base,
      secretAccessKey: 's3cr3t',
      folder: 'f',
      region: 'eu-central-1',
      forcePathStyle: false,
      enabled: false,
      settings: { excludeHistoricalEvents: true, includeEventsWithoutProfile: true, sendUserAttributes: true, eventTypes: ['install'] },
    });
    expect(createIntegrationBody({ ...base, eventTypes: null }, 'x').settings).toEqual({ eventTypes: null });
  });
});

describe('backfill and exports requests', () => {
  it('passes days through untouched for the API to judge', () => {
    expect(startBackfillBody({ from: '2026-02-30', to: '2026-03-01' })).toEqual({ from: '2026-02-30', to: '2026-03-01' });
    expect(startBackfillBody({ from: '2026-05-01', to: '2026-05-02', tables: ['ua_events'], concurrency: 2 })).toEqual({
      from: '2026-05-01',
      to: '2026-05-02',
      tables: ['ua_events'],
      concurrency: 2,
    });
  });

  it('builds the ledger query from what was given', () => {
    expect(exportsQuery({})).toEqual({});
    expect(exportsQuery({ from: '2026-05-01', table: 'ua_events' })).toEqual({ from: '2026-05-01', table: 'ua_events' });
  });
});

describe('connection: flags, then environment', () => {
  it('defaults the URL and takes the token from UA_EXPORT_TOKEN', () => {
    expect(resolveConnection({}, { UA_EXPORT_TOKEN: 't1' })).toEqual({ apiUrl: DEFAULT_API_URL, token: 't1', tokenSource: 'UA_EXPORT_TOKEN' });
  });

  it('lets flags win over the environment', () => {
    const c = resolveConnection({ apiUrl: 'https://ua.example.com/base', token: 'flag' }, { UA_EXPORT_API_URL: 'http://other:1', UA_EXPORT_TOKEN: 'env' });
    expect(c).toEqual({ apiUrl: 'https://ua.example.com/base', token: 'flag', tokenSource: '--token' });
    expect(resolveConnection({}, { UA_EXPORT_API_URL: 'http://other:1', UA_EXPORT_TOKEN: 'env' }).apiUrl).toBe('http://other:1');
  });

  it('falls back to the first of API_TOKENS', () => {
    expect(resolveConnection({}, { API_TOKENS: ' , first,second' })).toMatchObject({ token: 'first', tokenSource: 'API_TOKENS' });
  });

  it('refuses a missing token and odd URLs with a clear message', () => {
    expect(() => resolveConnection({}, {})).toThrow(/no API token: set UA_EXPORT_TOKEN/);
    expect(() => resolveConnection({ apiUrl: 'not a url' }, { UA_EXPORT_TOKEN: 't' })).toThrow(/is not a URL/);
    expect(() => resolveConnection({ apiUrl: 'ftp://x' }, { UA_EXPORT_TOKEN: 't' })).toThrow(/http:\/\/ or https:\/\//);
    expect(() => resolveConnection({ apiUrl: 'http://u:p@x' }, { UA_EXPORT_TOKEN: 't' })).toThrow(/credentials/);
    try {
      resolveConnection({}, {});
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
    }
  });
});

describe('the secret access key', () => {
  const piped = (text: string | null) => {
    const s = new PassThrough();
    if (text !== null) s.end(text);
    return { readable: s, prompt: new PassThrough() };
  };

  it('comes from the flag, then stdin, then UA_EXPORT_SECRET_ACCESS_KEY', async () => {
    expect(await resolveSecret({ secretAccessKey: 'flag' }, { UA_EXPORT_SECRET_ACCESS_KEY: 'env' }, piped(null))).toBe('flag');
    expect(await resolveSecret({ secretAccessKeyStdin: true }, { UA_EXPORT_SECRET_ACCESS_KEY: 'env' }, piped('from-stdin\n'))).toBe('from-stdin');
    expect(await resolveSecret({}, { UA_EXPORT_SECRET_ACCESS_KEY: 'env' }, piped(null))).toBe('env');
  });

  it('refuses none, both, or an empty one', async () => {
    await expect(resolveSecret({}, {}, piped(null))).rejects.toThrow(/--secret-access-key-stdin, or set UA_EXPORT_SECRET_ACCESS_KEY/);
    await expect(resolveSecret({ secretAccessKey: 'a', secretAccessKeyStdin: true }, {}, piped('b'))).rejects.toThrow(/not both/);
    await expect(resolveSecret({ secretAccessKeyStdin: true }, {}, piped('\n'))).rejects.toThrow(/empty/);
  });
});
