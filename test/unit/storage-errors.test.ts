import { describe, expect, it } from 'vitest';
import { classifyStorageError, maskKey, type StorageContext } from '../../src/s3/errors.js';

const CTX: StorageContext = { endpoint: 'https://s3.eu-west-1.amazonaws.com', bucket: 'adapty-ua-events', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' };

/** Shaped like an AWS SDK v3 service exception. */
function awsError(name: string, status: number | undefined, message = `${name} message`): Error {
  return Object.assign(new Error(message), { name, $fault: status && status < 500 ? 'client' : 'server', $metadata: { httpStatusCode: status } });
}

/** Shaped like a Node network error, optionally wrapped the way fetch/undici or the SDK wraps it. */
function netError(code: string, wrapDepth = 0): Error {
  let e: Error = Object.assign(new Error(`${code} happened`), { code });
  for (let i = 0; i < wrapDepth; i++) e = new Error('request failed', { cause: e });
  return e;
}

describe('classifyStorageError: credentials and permissions (permanent)', () => {
  it('InvalidAccessKeyId names the masked key and the field to fix', () => {
    const c = classifyStorageError(awsError('InvalidAccessKeyId', 403), CTX);
    expect(c.kind).toBe('permanent');
    expect(c.reason).toBe('InvalidAccessKeyId');
    expect(c.message).toContain('****MPLE');
    expect(c.message).toContain('accessKeyId');
    expect(c.message).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('SignatureDoesNotMatch points at the secret access key', () => {
    const c = classifyStorageError(awsError('SignatureDoesNotMatch', 403), CTX);
    expect(c).toMatchObject({ kind: 'permanent', reason: 'SignatureDoesNotMatch' });
    expect(c.message).toContain('secretAccessKey');
    expect(c.message).toContain('****MPLE');
    expect(c.message).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it.each(['AccessDenied', 'Forbidden', 'AllAccessDisabled', 'AccountProblem'])('%s is AccessDenied naming bucket, endpoint and permissions', (name) => {
    const c = classifyStorageError(awsError(name, 403), CTX);
    expect(c).toMatchObject({ kind: 'permanent', reason: 'AccessDenied' });
    expect(c.message).toContain('"adapty-ua-events"');
    expect(c.message).toContain(CTX.endpoint);
    expect(c.message).toContain('s3:PutObject');
  });

  it('the XML Code field wins over the exception name', () => {
    const e = Object.assign(awsError('S3ServiceException', 403), { Code: 'AccessDenied' });
    expect(classifyStorageError(e, CTX).reason).toBe('AccessDenied');
  });

  it('NoSuchBucket says the bucket does not exist', () => {
    const c = classifyStorageError(awsError('NoSuchBucket', 404), CTX);
    expect(c).toMatchObject({ kind: 'permanent', reason: 'NoSuchBucket' });
    expect(c.message).toMatch(/bucket "adapty-ua-events" at https:\/\/s3\.eu-west-1\.amazonaws\.com does not exist/);
  });

  it.each([
    ['no name at all', { $metadata: { httpStatusCode: 403 } }],
    ['an unknown name', awsError('UnknownError', 403, '')],
    ['a plain Error', Object.assign(new Error('Forbidden'), { $metadata: { httpStatusCode: 403 } })],
  ])('403 with %s is AccessDenied (HTTP 403)', (_what, err) => {
    const c = classifyStorageError(err, CTX);
    expect(c).toMatchObject({ kind: 'permanent', reason: 'AccessDenied' });
    expect(c.message).toContain('HTTP 403');
    expect(c.message).toContain('"adapty-ua-events"');
  });

  it('401 asks to check both credentials', () => {
    const c = classifyStorageError({ $metadata: { httpStatusCode: 401 } }, CTX);
    expect(c).toMatchObject({ kind: 'permanent', reason: 'Unauthorized' });
    expect(c.message).toMatch(/accessKeyId and secretAccessKey/);
  });

  it.each(['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException', 'InvalidRegion'])('%s is a wrong region', (name) => {
    const c = classifyStorageError(awsError(name, 301), CTX);
    expect(c).toMatchObject({ kind: 'permanent', reason: 'WrongRegion' });
    expect(c.message).toContain('region');
  });

  it('a 404 from an unknown endpoint path is permanent NotFound', () => {
    const c = classifyStorageError(awsError('UnknownError', 404), CTX);
    expect(c).toMatchObject({ kind: 'permanent', reason: 'NotFound' });
    expect(c.message).toContain('path-style');
  });
});

describe('classifyStorageError: network', () => {
  it.each([
    ['CERT_HAS_EXPIRED', 1],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 1],
    ['SELF_SIGNED_CERT_IN_CHAIN', 2],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 0],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 1],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 1],
  ])('TLS code %s (wrapped %i deep in err.cause) is a permanent TlsError', (code, depth) => {
    const c = classifyStorageError(netError(code, depth), CTX);
    expect(c).toMatchObject({ kind: 'permanent', reason: 'TlsError' });
    expect(c.message).toContain(code);
    expect(c.message).toContain(CTX.endpoint);
    expect(c.message).toMatch(/certificate|http\/https/);
  });

  it('ENOTFOUND is permanent: the endpoint URL is wrong', () => {
    for (const depth of [0, 1]) {
      const c = classifyStorageError(netError('ENOTFOUND', depth), CTX);
      expect(c).toMatchObject({ kind: 'permanent', reason: 'EndpointNotFound' });
      expect(c.message).toContain('check the endpoint URL');
      expect(c.message).toContain(CTX.endpoint);
    }
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'])('%s is transient', (code) => {
    for (const depth of [0, 1]) {
      const c = classifyStorageError(netError(code, depth), CTX);
      expect(c).toMatchObject({ kind: 'transient', reason: code });
      expect(c.message).toContain(code);
    }
  });
});

describe('classifyStorageError: server side (transient)', () => {
  it.each([
    ['SlowDown', 503],
    ['ServiceUnavailable', 503],
    ['InternalError', 500],
    ['RequestTimeout', 400],
    ['TimeoutError', undefined],
  ])('%s (%s) is transient with its code as the reason', (name, status) => {
    const c = classifyStorageError(awsError(name, status, 'please retry'), CTX);
    expect(c).toMatchObject({ kind: 'transient', reason: name });
    expect(c.message).toContain('please retry');
  });

  it.each([
    ['ECONNREFUSED (provider down)', netError('ECONNREFUSED', 1), 'ECONNREFUSED'],
    ['ECONNRESET (connection reset mid-body)', netError('ECONNRESET'), 'ECONNRESET'],
    // What Node's http client throws when the server closes the socket before answering.
    ['socket hang up', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'ECONNRESET'],
    ['the SDK request timeout', Object.assign(new Error('Connection timed out after 120000 ms'), { name: 'TimeoutError', code: 'ETIMEDOUT' }), 'ETIMEDOUT'],
    [
      'the SDK connect timeout (no code)',
      Object.assign(new Error('Socket timed out without establishing a connection'), { name: 'TimeoutError' }),
      'TimeoutError',
    ],
    ['500 InternalError', awsError('InternalError', 500), 'InternalError'],
    ['503 SlowDown', awsError('SlowDown', 503), 'SlowDown'],
    ['502 from a gateway with an unparseable body', awsError('Unknown', 502), 'Unknown'],
    ['504 gateway timeout', awsError('GatewayTimeout', 504), 'GatewayTimeout'],
    ['429 throttling', awsError('TooManyRequests', 429), 'TooManyRequests'],
    // A gateway in front of a store that is down may say anything: a 5xx is still the provider's state.
    ['503 whose body claims AccessDenied', awsError('AccessDenied', 503), 'AccessDenied'],
    ['503 whose body claims NoSuchBucket', awsError('NoSuchBucket', 503), 'NoSuchBucket'],
  ])('an outage is transient, never permanent: %s', (_label, err, reason) => {
    expect(classifyStorageError(err, CTX)).toMatchObject({ kind: 'transient', reason });
  });

  it('501 Not Implemented stays permanent: the provider lacks the operation', () => {
    expect(classifyStorageError(awsError('NotImplemented', 501), CTX).kind).toBe('permanent');
  });

  it('an unknown thrown value is transient, not a crash', () => {
    expect(classifyStorageError(undefined, CTX)).toMatchObject({ kind: 'transient', reason: 'Unknown' });
    expect(classifyStorageError('boom', CTX).kind).toBe('transient');
  });
});

describe('maskKey', () => {
  it.each([
    ['AKIAIOSFODNN7EXAMPLE', '****MPLE'],
    ['abcde', '****bcde'],
    ['abcd', '****'],
    ['a', '****'],
    ['', '(none)'],
    [undefined, '(none)'],
  ])('%j → %j', (key, masked) => {
    expect(maskKey(key)).toBe(masked);
  });

  it('never reveals more than the last 4 characters', () => {
    const key = 'AKIA1234567890SECRET';
    const masked = maskKey(key);
    expect(masked.replace(/\*/g, '')).toBe('CRET');
  });
});
