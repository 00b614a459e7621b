import { S3Client } from '@aws-sdk/client-s3';

export interface StorageConfig {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * One client per storage config, set up for the strictest S3-compatible providers: checksum headers
 * only when an operation requires them (R2, B2 and others reject the SDK's default CRC32), explicit
 * path-style, and bounded connect / idle timeouts so a dead endpoint fails an attempt instead of
 * hanging it.
 */
export function createS3Client(cfg: StorageConfig, opts: { requestTimeoutMs?: number } = {}): S3Client {
  return new S3Client({
    endpoint: cfg.endpoint,
    region: cfg.region || 'us-east-1',
    forcePathStyle: cfg.forcePathStyle,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Temporal owns retries with backoff; the SDK's own retries stay short so heartbeats keep flowing.
    maxAttempts: 2,
    // A request whose socket goes quiet for this long fails, so the SDK and then Temporal retry it. The
    // handler only logs a warning unless told to throw, and an activity that keeps heartbeating while
    // one request hangs would otherwise wait on it for good (found by the chaos suite's stalls).
    requestHandler: { connectionTimeout: 5_000, requestTimeout: opts.requestTimeoutMs ?? 120_000, throwOnRequestTimeout: true },
  });
}

/** The local S3 service's admin client (LOCAL_S3_*): the demo, tests and benchmarks share it. */
export function localS3Client(env: { LOCAL_S3_ENDPOINT: string; LOCAL_S3_ACCESS_KEY_ID: string; LOCAL_S3_SECRET_ACCESS_KEY: string }): S3Client {
  return createS3Client({
    endpoint: env.LOCAL_S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: env.LOCAL_S3_ACCESS_KEY_ID,
    secretAccessKey: env.LOCAL_S3_SECRET_ACCESS_KEY,
  });
}
