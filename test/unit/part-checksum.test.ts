import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { PartChecksums, verifiesSha256Parts } from '../../src/s3/part-checksum.js';
import { inProcessS3, type WireResponse } from '../helpers/in-process-s3.js';

/**
 * The probe against providers that behave differently, each a request handler that never leaves the
 * process. The real answer of SeaweedFS is in test/integration/part-checksum.test.ts.
 */
type Behaviour = 'verifies' | 'ignores' | 'refuses-checksum-headers' | 'refuses-checksum-completion' | 'unreachable' | 'server-error' | 'throttles' | 'hangs';

interface Seen {
  method: string;
  query: Record<string, string | null>;
  headers: Record<string, string>;
}

function provider(behaviour: Behaviour): { s3: S3Client; seen: Seen[] } {
  const seen: Seen[] = [];
  const xml = (statusCode: number, body: string) => ({
    response: { statusCode, headers: { 'content-type': 'application/xml' }, body: Readable.from([Buffer.from(body)]) },
  });
  const error = (statusCode: number, code: string) => xml(statusCode, `<Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  const s3 = inProcessS3(
    async (request, options): Promise<WireResponse> => {
      seen.push({ method: request.method, query: { ...request.query }, headers: { ...request.headers } });
      // Answers nothing; ends only when the caller gives up, as a real handler does on abort.
      if (behaviour === 'hangs')
        return new Promise((_, reject) =>
          options?.abortSignal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))),
        );
      if (behaviour === 'unreachable') throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
      if (behaviour === 'server-error') return error(503, 'SlowDown');
      if (behaviour === 'throttles') return error(429, 'TooManyRequests');
      const checksum = request.headers['x-amz-checksum-sha256'];
      if ('uploads' in request.query) {
        if (behaviour === 'refuses-checksum-headers' && request.headers['x-amz-checksum-algorithm']) return error(400, 'InvalidArgument');
        return xml(200, '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u-1</UploadId></InitiateMultipartUploadResult>');
      }
      if (request.method === 'PUT' && request.query.partNumber) {
        const body = Buffer.from(request.body as Uint8Array);
        if (behaviour === 'verifies' || behaviour === 'refuses-checksum-completion') {
          if (checksum !== createHash('sha256').update(body).digest('base64')) return error(400, 'BadDigest');
        }
        return { response: { statusCode: 200, headers: { etag: `"${createHash('md5').update(body).digest('hex')}"` }, body: Readable.from([]) } };
      }
      if (request.method === 'POST' && request.query.uploadId) {
        if (behaviour === 'refuses-checksum-completion') return error(400, 'InvalidPart');
        return xml(200, '<CompleteMultipartUploadResult><ETag>"e-1"</ETag></CompleteMultipartUploadResult>');
      }
      if (request.method === 'DELETE') return { response: { statusCode: 204, headers: {}, body: Readable.from([]) } };
      return error(400, 'Unexpected');
    },
    { maxAttempts: 1 },
  );
  return { s3, seen };
}

const cleanup = (seen: Seen[]) => ({
  deleted: seen.filter((r) => r.method === 'DELETE' && !r.query.uploadId).length,
  aborted: seen.filter((r) => r.method === 'DELETE' && r.query.uploadId).length,
});

describe('verifiesSha256Parts', () => {
  it('says yes to a provider that takes the right checksum, refuses a wrong one and completes with it, then deletes its object', async () => {
    const { s3, seen } = provider('verifies');
    await expect(verifiesSha256Parts(s3, 'b', 'p/_ua_export_probe/x/part-checksum.txt')).resolves.toBe(true);
    expect(seen[0]!.headers['x-amz-checksum-algorithm']).toBe('SHA256');
    expect(seen.filter((r) => r.method === 'PUT').map((r) => r.query.partNumber)).toEqual(['1', '2']);
    expect(cleanup(seen)).toEqual({ deleted: 1, aborted: 0 });
  });

  it.each([
    ['ignores', 'takes a wrong checksum'],
    ['refuses-checksum-headers', 'refuses an upload created with a checksum algorithm'],
    ['refuses-checksum-completion', 'refuses a completion that lists part checksums'],
  ] as const)('says no to a provider that %s (it %s), and aborts its upload', async (behaviour, _how) => {
    const { s3, seen } = provider(behaviour);
    await expect(verifiesSha256Parts(s3, 'b', 'k')).resolves.toBe(false);
    const created = behaviour !== 'refuses-checksum-headers';
    expect(cleanup(seen)).toEqual({ deleted: 0, aborted: created ? 1 : 0 });
  });

  it.each(['unreachable', 'server-error', 'throttles'] as const)('has no answer when the provider is %s: it throws', async (behaviour) => {
    const { s3 } = provider(behaviour);
    await expect(verifiesSha256Parts(s3, 'b', 'k')).rejects.toThrow();
  });

  it('gives up on a provider that does not answer within its bound: no answer', async () => {
    const { s3, seen } = provider('hangs');
    // Without the bound this never settles (the test's own timeout would fail it).
    await expect(verifiesSha256Parts(s3, 'b', 'k', 100)).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });
});

describe('PartChecksums', () => {
  const who = { endpoint: 'https://s3.example', bucket: 'b', accessKeyId: 'AK' };

  it('probes a bucket once and keeps the answer for every later file', async () => {
    let probes = 0;
    const choices = new PartChecksums('auto', async () => (probes++, true));
    const { s3 } = provider('verifies');
    const [a, b] = await Promise.all([choices.choose(s3, who, 'k1'), choices.choose(s3, who, 'k2')]);
    expect(a).toEqual({ checksum: 'sha256', probed: true });
    expect(b).toEqual({ checksum: 'sha256', probed: false });
    expect(await choices.choose(s3, who, 'k3')).toEqual({ checksum: 'sha256', probed: false });
    expect(probes).toBe(1);
    // Another bucket, endpoint or key id is another answer.
    expect((await choices.choose(s3, { ...who, bucket: 'c' }, 'k4')).probed).toBe(true);
    expect((await choices.choose(s3, { ...who, accessKeyId: 'AK2' }, 'k5')).probed).toBe(true);
    expect(probes).toBe(3);
  });

  it('uses md5 where the provider does not check SHA-256 checksums, for good', async () => {
    const { s3 } = provider('ignores');
    const choices = new PartChecksums('auto');
    expect(await choices.choose(s3, who, 'k1')).toEqual({ checksum: 'md5', probed: true });
    expect(await choices.choose(s3, who, 'k2')).toEqual({ checksum: 'md5', probed: false });
  });

  it('uses md5 for a file whose probe got no answer, and asks again for the next', async () => {
    const { s3 } = provider('unreachable');
    const choices = new PartChecksums('auto');
    const first = await choices.choose(s3, who, 'k1');
    expect(first).toMatchObject({ checksum: 'md5', probed: true, probeError: expect.stringContaining('ECONNREFUSED') });
    expect((await choices.choose(s3, who, 'k2')).probed).toBe(true);
    // A caller that joined the failed probe gets md5 too, not the error.
    let fail!: (e: Error) => void;
    const slow = new PartChecksums('auto', () => new Promise<boolean>((_, reject) => (fail = reject)));
    const joined = [slow.choose(s3, who, 'k1'), slow.choose(s3, who, 'k2')];
    fail(new Error('timeout'));
    expect(await Promise.all(joined)).toEqual([
      { checksum: 'md5', probed: true, probeError: 'timeout' },
      { checksum: 'md5', probed: false },
    ]);
  });

  it('PART_CHECKSUM=md5 never probes', async () => {
    const { s3, seen } = provider('verifies');
    expect(await new PartChecksums('md5').choose(s3, who, 'k')).toEqual({ checksum: 'md5', probed: false });
    expect(seen).toEqual([]);
  });
});
