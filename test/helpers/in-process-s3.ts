import { S3Client } from '@aws-sdk/client-s3';

/** A request as the S3 client hands it to its request handler. */
export interface WireRequest {
  method: string;
  query: Record<string, string | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** What a request handler answers: a status, headers and a body stream. */
export interface WireResponse {
  response: { statusCode: number; headers: Record<string, string>; body: NodeJS.ReadableStream };
}

/**
 * An S3 client, set up like the product's (createS3Client: checksum headers only when required,
 * path-style), whose every request goes to `handle` and never leaves the process: for tests of what is
 * put on the wire and of how providers that answer differently are treated.
 */
export function inProcessS3(
  handle: (request: WireRequest, options?: { abortSignal?: AbortSignal }) => Promise<WireResponse>,
  opts: { maxAttempts?: number } = {},
): S3Client {
  return new S3Client({
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
    requestHandler: { handle } as never,
  });
}
