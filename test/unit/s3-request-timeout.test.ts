import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/s3/client.js';

/** An endpoint that accepts requests and never answers: the client must fail, not wait for good. */
describe('S3 client against an endpoint that goes quiet', () => {
  let server: Server;
  let endpoint: string;
  beforeAll(async () => {
    server = createServer(() => {
      /* never answer */
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('fails the request once its socket has been quiet for the request timeout', async () => {
    const s3 = createS3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'k', secretAccessKey: 's' }, { requestTimeoutMs: 300 });
    const started = Date.now();
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' }))).rejects.toThrow(/timeout|timed out/i);
    // Two attempts (maxAttempts 2) of 300 ms each, plus the SDK's backoff between them.
    expect(Date.now() - started).toBeLessThan(10_000);
    s3.destroy();
  });
});
