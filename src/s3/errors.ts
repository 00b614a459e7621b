/**
 * Sorting storage failures into "retry later" and "a person must fix something". Permanent ones
 * carry a message that names what to fix, because it ends up in the integration's last error and in
 * the test-connection report.
 */
export type FailureKind = 'permanent' | 'transient';

export interface ClassifiedError {
  kind: FailureKind;
  /** Stable reason, used as the Temporal failure type and the metrics label. */
  reason: string;
  message: string;
}

interface AwsLikeError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
  cause?: unknown;
}

export interface StorageContext {
  endpoint: string;
  bucket: string;
  accessKeyId?: string;
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_NOT_YET_VALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const TRANSIENT_NET = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

function codeOf(err: AwsLikeError): string {
  return err.Code ?? err.name ?? err.code ?? 'Unknown';
}

function netCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function classifyStorageError(err: unknown, ctx: StorageContext): ClassifiedError {
  const e = (err ?? {}) as AwsLikeError;
  const code = codeOf(e);
  const status = e.$metadata?.httpStatusCode;
  const net = netCode(err);
  const where = `bucket "${ctx.bucket}" at ${ctx.endpoint}`;
  const permanent = (reason: string, message: string): ClassifiedError => ({ kind: 'permanent', reason, message });

  if (net && TLS_CODES.has(net)) {
    return permanent(
      'TlsError',
      `TLS handshake with ${ctx.endpoint} failed (${net}): use an endpoint with a certificate trusted by this server, or the right http/https scheme`,
    );
  }
  if (net === 'ENOTFOUND') {
    return permanent('EndpointNotFound', `endpoint host of ${ctx.endpoint} does not resolve (ENOTFOUND): check the endpoint URL`);
  }
  // A server-side failure (5xx other than 501 Not Implemented) or throttling is the provider's state,
  // not the integration's: however its body reads, an outage must be ridden out, never reported as
  // something to fix. A gateway in front of a store that is down may answer with any code.
  if (status !== undefined && ((status >= 500 && status !== 501) || status === 429)) {
    return { kind: 'transient', reason: code, message: `${code} (HTTP ${status}) from ${ctx.endpoint}: ${e.message ?? 'storage request failed'}` };
  }
  switch (code) {
    case 'InvalidAccessKeyId':
      return permanent(code, `the storage provider does not know access key id ${maskKey(ctx.accessKeyId)}: check the integration's accessKeyId`);
    case 'SignatureDoesNotMatch':
      return permanent(code, `the secret access key does not match access key id ${maskKey(ctx.accessKeyId)}: re-enter the integration's secretAccessKey`);
    case 'AccessDenied':
    case 'Forbidden':
    case 'AllAccessDisabled':
    case 'AccountProblem':
      return permanent(
        'AccessDenied',
        `access denied on ${where}: grant these credentials s3:PutObject, s3:GetObject, s3:DeleteObject, s3:AbortMultipartUpload, s3:ListBucketMultipartUploads and s3:ListMultipartUploadParts on the bucket`,
      );
    case 'NoSuchBucket':
      return permanent(code, `${where} does not exist: create it or fix the integration's bucket`);
    case 'InvalidBucketName':
      return permanent(code, `"${ctx.bucket}" is not a valid bucket name for ${ctx.endpoint}`);
    case 'AuthorizationHeaderMalformed':
    case 'PermanentRedirect':
    case 'IllegalLocationConstraintException':
    case 'InvalidRegion':
      return permanent('WrongRegion', `${where} is in a different region than configured: set the integration's region to the bucket's region`);
    case 'EntityTooSmall':
    case 'InvalidPart':
    case 'InvalidPartOrder':
      return permanent(code, `the provider rejected the multipart layout (${code}): ${e.message ?? ''}`.trim());
    case 'NotImplemented':
      return permanent(code, `${ctx.endpoint} does not implement a required S3 operation: ${e.message ?? code}`);
  }
  if (status === 403) {
    return permanent('AccessDenied', `access denied on ${where} (HTTP 403): check the credentials and the bucket policy`);
  }
  if (status === 401) {
    return permanent('Unauthorized', `${ctx.endpoint} rejected the credentials (HTTP 401): check accessKeyId and secretAccessKey`);
  }
  if (status === 404 && code !== 'NoSuchUpload' && code !== 'NoSuchKey' && code !== 'NotFound') {
    return permanent('NotFound', `${where} answered 404 (${code}): check the endpoint URL, bucket and path-style setting`);
  }
  if (net && TRANSIENT_NET.has(net)) {
    return { kind: 'transient', reason: net, message: `network error talking to ${ctx.endpoint}: ${net}` };
  }
  return { kind: 'transient', reason: code, message: `${code}: ${e.message ?? 'storage request failed'}` };
}

/** Shows only the last 4 characters: enough to recognise a key, useless to an attacker. */
export function maskKey(key: string | undefined): string {
  if (!key) return '(none)';
  return key.length <= 4 ? '****' : `****${key.slice(-4)}`;
}
