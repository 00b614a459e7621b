import { S3Client } from '@aws-sdk/client-s3';

// Node 20 is this project's chosen runtime; the SDK's notice about its future Node 22 floor is noise in
// every log. Users can still opt back in by setting the variable to "false".
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
export function createS3Client(cfg: StorageConfig): S3Client {
  return new S3Client({
    endpoint: cfg.endpoint,
    region: cfg.region || 'us-east-1',
    forcePathStyle: cfg.forcePathStyle,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Temporal owns retries with backoff; the SDK's own retries stay short so heartbeats keep flowing.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
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
