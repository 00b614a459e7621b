import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv, partSizeBytes } from '../../src/config/env.js';

function configError(source: NodeJS.ProcessEnv): ConfigError {
  try {
    loadEnv(source);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('loadEnv accepted the configuration');
}

describe('loadEnv', () => {
  it('fills every default from an empty environment', () => {
    expect(loadEnv({})).toEqual({
      DATABASE_URL: 'postgres://ua_export:ua_export@127.0.0.1:55432/ua_export',
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
      TEMPORAL_TASK_QUEUE: 'ua-export',
      ENCRYPTION_KEYS_PREVIOUS: '',
      LOCAL_S3_ENDPOINT: 'http://127.0.0.1:8333',
      LOCAL_S3_ACCESS_KEY_ID: 'ua-export-local',
      LOCAL_S3_SECRET_ACCESS_KEY: 'ua-export-local-secret',
      LOCAL_S3_BUCKET: 'ua-export-demo',
      LOCAL_S3_READONLY_ACCESS_KEY_ID: 'ua-export-readonly',
      LOCAL_S3_READONLY_SECRET_ACCESS_KEY: 'ua-export-readonly-secret',
      PART_SIZE_MIB: 16,
      UPLOAD_PARTS_IN_FLIGHT: 2,
      PART_CHECKSUM: 'auto',
      API_HOST: '127.0.0.1',
      API_PORT: 3000,
      API_TOKENS: '',
      API_BODY_LIMIT_BYTES: 65536,
      BACKFILL_MAX_DAYS: 731,
      BACKFILL_DEFAULT_CONCURRENCY: 4,
      BACKFILL_MAX_CONCURRENCY: 16,
      ALLOW_PLAIN_HTTP_ENDPOINTS: true,
      ALLOW_PRIVATE_ENDPOINTS: true,
      WORKER_METRICS_HOST: '127.0.0.1',
      WORKER_METRICS_PORT: 9464,
      WORKER_MAX_CACHED_WORKFLOWS: 100,
      WORKER_MAX_CONCURRENT_ACTIVITIES: 8,
      WORKER_DB_POOL_MAX: 10,
      TEMPORAL_SDK_METRICS_ADDRESS: '127.0.0.1:9465',
      WORKER_ROLE: 'all',
      SCHEDULE_PAUSE_SWEEP_SECONDS: 60,
      LOG_LEVEL: 'info',
    });
  });

  it('treats an empty string as unset and ignores unknown variables', () => {
    const env = loadEnv({ PART_SIZE_MIB: '', API_PORT: '', HOME: '/root', SOMETHING_ELSE: 'x' });
    expect(env.PART_SIZE_MIB).toBe(16);
    expect(env.API_PORT).toBe(3000);
    expect(env).not.toHaveProperty('HOME');
    expect(env).not.toHaveProperty('SOMETHING_ELSE');
  });

  it('converts numeric strings to numbers', () => {
    const env = loadEnv({ PART_SIZE_MIB: '64', API_PORT: '8080' });
    expect(env.PART_SIZE_MIB).toBe(64);
    expect(env.API_PORT).toBe(8080);
    expect(typeof env.PART_SIZE_MIB).toBe('number');
    expect(partSizeBytes(env)).toBe(64 * 1024 * 1024);
  });

  it('keeps the values it was given', () => {
    const env = loadEnv({ DATABASE_URL: 'postgresql://u:p@db:5432/x', LOG_LEVEL: 'debug', ENCRYPTION_KEY: 'k' });
    expect(env.DATABASE_URL).toBe('postgresql://u:p@db:5432/x');
    expect(env.LOG_LEVEL).toBe('debug');
    expect(env.ENCRYPTION_KEY).toBe('k');
  });

  it('accepts PART_SIZE_MIB at both S3 limits (5 MiB and 5 GiB)', () => {
    expect(loadEnv({ PART_SIZE_MIB: '5' }).PART_SIZE_MIB).toBe(5);
    expect(loadEnv({ PART_SIZE_MIB: '5120' }).PART_SIZE_MIB).toBe(5120);
  });

  it('rejects PART_SIZE_MIB=4 naming the variable', () => {
    const e = configError({ PART_SIZE_MIB: '4' });
    expect(e.problems.map((p) => p.field)).toEqual(['PART_SIZE_MIB']);
    expect(e.message).toMatch(/^invalid configuration: PART_SIZE_MIB /);
    expect(e.message).toContain('5');
  });

  it('takes PART_CHECKSUM auto, sha256 or md5 and refuses anything else naming the variable', () => {
    expect(loadEnv({ PART_CHECKSUM: 'md5' }).PART_CHECKSUM).toBe('md5');
    expect(loadEnv({ PART_CHECKSUM: 'sha256' }).PART_CHECKSUM).toBe('sha256');
    expect(loadEnv({ PART_CHECKSUM: 'auto' }).PART_CHECKSUM).toBe('auto');
    const e = configError({ PART_CHECKSUM: 'crc32' });
    expect(e.problems.map((p) => p.field)).toEqual(['PART_CHECKSUM']);
    expect(e.message).toMatch(/PART_CHECKSUM/);
  });

  it('takes UPLOAD_PARTS_IN_FLIGHT from 1 to 16 and refuses 0 naming the variable', () => {
    expect(loadEnv({ UPLOAD_PARTS_IN_FLIGHT: '1' }).UPLOAD_PARTS_IN_FLIGHT).toBe(1);
    expect(loadEnv({ UPLOAD_PARTS_IN_FLIGHT: '16' }).UPLOAD_PARTS_IN_FLIGHT).toBe(16);
    expect(configError({ UPLOAD_PARTS_IN_FLIGHT: '0' }).problems.map((p) => p.field)).toEqual(['UPLOAD_PARTS_IN_FLIGHT']);
    expect(configError({ UPLOAD_PARTS_IN_FLIGHT: '17' }).problems.map((p) => p.field)).toEqual(['UPLOAD_PARTS_IN_FLIGHT']);
  });

  it.each([
    ['PART_SIZE_MIB', '5121'],
    ['PART_SIZE_MIB', 'abc'],
    ['API_PORT', '65536'],
    ['API_PORT', '-1'],
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['LOCAL_S3_ENDPOINT', 's3.example.com'],
    ['TEMPORAL_UI_URL', 'ftp://x'],
    ['LOG_LEVEL', 'verbose'],
    ['WORKER_ROLE', 'both'],
    ['SCHEDULE_PAUSE_SWEEP_SECONDS', '-5'],
    ['SCHEDULE_PAUSE_SWEEP_SECONDS', '86401'],
    ['LOCAL_S3_BUCKET', 'ab'],
  ])('rejects %s=%j naming the variable', (name, value) => {
    const e = configError({ [name]: value });
    expect(e.problems.map((p) => p.field)).toContain(name);
    expect(e.message).toContain(name);
  });

  it('reports every bad variable at once', () => {
    const e = configError({ PART_SIZE_MIB: '4', API_PORT: '70000' });
    expect(e.problems.map((p) => p.field).sort()).toEqual(['API_PORT', 'PART_SIZE_MIB']);
  });
});

describe('regressions found in review', () => {
  // Value.Convert coerces loosely before validation, so malformed numbers pass as other numbers:
  // PART_SIZE_MIB=16.5 → 16, PART_SIZE_MIB=0x10 → 16, API_PORT=true → 1 (a real port!). loadEnv's
  // contract is "a bad value fails start-up naming the variable".
  it.each([
    ['PART_SIZE_MIB', '16.5'],
    ['PART_SIZE_MIB', '0x10'],
    ['API_PORT', 'true'],
  ])('rejects %s=%j instead of coercing it', (name, value) => {
    const e = configError({ [name]: value });
    expect(e.problems.map((p) => p.field)).toContain(name);
  });
});

describe('loadEnv: the source protection settings', () => {
  it('refuses a Postgres pool no larger than the activity bound, naming both variables', () => {
    expect(() => loadEnv({ WORKER_MAX_CONCURRENT_ACTIVITIES: '10', WORKER_DB_POOL_MAX: '10' })).toThrow(
      /WORKER_DB_POOL_MAX must be greater than WORKER_MAX_CONCURRENT_ACTIVITIES \(10\)/,
    );
    expect(loadEnv({ WORKER_MAX_CONCURRENT_ACTIVITIES: '16', WORKER_DB_POOL_MAX: '20' })).toMatchObject({
      WORKER_MAX_CONCURRENT_ACTIVITIES: 16,
      WORKER_DB_POOL_MAX: 20,
    });
  });
});
