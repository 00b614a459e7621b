import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { bodyProtectedInTransit, candidates, partDigest, partHasher, PartChecksums, verifiesPartChecksum } from '../../src/s3/part-checksum.js';
import { inProcessS3, type WireResponse } from '../helpers/in-process-s3.js';

/**
 * The probe against providers that behave differently, each a request handler that never leaves the
 * process. The real answer of SeaweedFS is in test/integration/part-checksum.test.ts.
 */
type Behaviour =
  | 'verifies'
  /** Checks SHA-256 checksums, takes any CRC32 one: a provider that stores the header without checking it. */
  | 'verifies-sha256-only'
  /** Checks SHA-256 checksums, refuses an upload created with CRC32: a provider that does not know it. */
  | 'refuses-crc32'
  | 'ignores'
  | 'refuses-checksum-headers'
  | 'refuses-checksum-completion'
  | 'unreachable'
  | 'server-error'
  | 'throttles'
  | 'hangs';

const crc32Of = (body: Buffer) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(body));
  return b.toString('base64');
};

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
      const sha256 = request.headers['x-amz-checksum-sha256'];
      const crc = request.headers['x-amz-checksum-crc32'];
      if ('uploads' in request.query) {
        const algorithm = request.headers['x-amz-checksum-algorithm'];
        if (behaviour === 'refuses-checksum-headers' && algorithm) return error(400, 'InvalidArgument');
        if (behaviour === 'refuses-crc32' && algorithm === 'CRC32') return error(400, 'InvalidArgument');
        return xml(200, '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u-1</UploadId></InitiateMultipartUploadResult>');
      }
      if (request.method === 'PUT' && request.query.partNumber) {
        const body = Buffer.from(request.body as Uint8Array);
        const checksSha256 = behaviour !== 'ignores' && behaviour !== 'refuses-checksum-headers';
        const checksCrc32 = behaviour === 'verifies' || behaviour === 'refuses-checksum-completion';
        if (checksSha256 && sha256 !== undefined && sha256 !== createHash('sha256').update(body).digest('base64')) return error(400, 'BadDigest');
        if (checksCrc32 && crc !== undefined && crc !== crc32Of(body)) return error(400, 'BadDigest');
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

describe('verifiesPartChecksum', () => {
  it.each([
    ['sha256', 'SHA256', 'x-amz-checksum-sha256'],
    ['crc32', 'CRC32', 'x-amz-checksum-crc32'],
  ] as const)(
    'says yes to a provider that takes the right %s checksum, refuses a wrong one and completes with it, then deletes its object',
    async (algorithm, name, header) => {
      const { s3, seen } = provider('verifies');
      await expect(verifiesPartChecksum(s3, 'b', 'p/_ua_export_probe/x/part-checksum.txt', algorithm)).resolves.toBe(true);
      expect(seen[0]!.headers['x-amz-checksum-algorithm']).toBe(name);
      const puts = seen.filter((r) => r.method === 'PUT');
      expect(puts.map((r) => r.query.partNumber)).toEqual(['1', '2']);
      expect(puts.every((r) => r.headers[header] !== undefined && r.headers['content-md5'] === undefined)).toBe(true);
      expect(cleanup(seen)).toEqual({ deleted: 1, aborted: 0 });
    },
  );

  it('says no to CRC32 where the provider takes a wrong one or does not know it, and yes to SHA-256 there', async () => {
    for (const behaviour of ['verifies-sha256-only', 'refuses-crc32'] as const) {
      await expect(verifiesPartChecksum(provider(behaviour).s3, 'b', 'k', 'crc32')).resolves.toBe(false);
      await expect(verifiesPartChecksum(provider(behaviour).s3, 'b', 'k', 'sha256')).resolves.toBe(true);
    }
  });

  it.each([
    ['ignores', 'takes a wrong checksum'],
    ['refuses-checksum-headers', 'refuses an upload created with a checksum algorithm'],
    ['refuses-checksum-completion', 'refuses a completion that lists part checksums'],
  ] as const)('says no to a provider that %s (it %s), and aborts its upload', async (behaviour, _how) => {
    const { s3, seen } = provider(behaviour);
    await expect(verifiesPartChecksum(s3, 'b', 'k', 'sha256')).resolves.toBe(false);
    const created = behaviour !== 'refuses-checksum-headers';
    expect(cleanup(seen)).toEqual({ deleted: 0, aborted: created ? 1 : 0 });
  });

  it.each(['unreachable', 'server-error', 'throttles'] as const)('has no answer when the provider is %s: it throws', async (behaviour) => {
    const { s3 } = provider(behaviour);
    await expect(verifiesPartChecksum(s3, 'b', 'k', 'crc32')).rejects.toThrow();
  });

  it('gives up on a provider that does not answer within its bound: no answer', async () => {
    const { s3, seen } = provider('hangs');
    // Without the bound this never settles (the test's own timeout would fail it).
    await expect(verifiesPartChecksum(s3, 'b', 'k', 'sha256', 100)).rejects.toThrow();
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
    expect(a).toEqual({ checksum: 'crc32', probed: true });
    expect(b).toEqual({ checksum: 'crc32', probed: false });
    expect(await choices.choose(s3, who, 'k3')).toEqual({ checksum: 'crc32', probed: false });
    expect(probes).toBe(1);
    // Another bucket, endpoint or key id is another answer.
    expect((await choices.choose(s3, { ...who, bucket: 'c' }, 'k4')).probed).toBe(true);
    expect((await choices.choose(s3, { ...who, accessKeyId: 'AK2' }, 'k5')).probed).toBe(true);
    expect(probes).toBe(3);
  });

  it('over TLS, uses CRC32 where the provider checks it, with one probe', async () => {
    const { s3, seen } = provider('verifies');
    expect(await new PartChecksums('auto').choose(s3, who, 'k1')).toEqual({ checksum: 'crc32', probed: true });
    expect(seen.filter((r) => 'uploads' in r.query).map((r) => r.headers['x-amz-checksum-algorithm'])).toEqual(['CRC32']);
  });

  it.each(['verifies-sha256-only', 'refuses-crc32'] as const)('uses SHA-256 where the provider %s, after asking for CRC32 first', async (behaviour) => {
    const { s3, seen } = provider(behaviour);
    const choices = new PartChecksums('auto');
    expect(await choices.choose(s3, who, 'k1')).toEqual({ checksum: 'sha256', probed: true });
    expect(seen.filter((r) => 'uploads' in r.query).map((r) => r.headers['x-amz-checksum-algorithm'])).toEqual(['CRC32', 'SHA256']);
    // The CRC32 probe cleaned up before the SHA-256 one: its upload aborted, the SHA-256 object deleted.
    expect(cleanup(seen)).toEqual({ deleted: 1, aborted: behaviour === 'refuses-crc32' ? 0 : 1 });
    expect(await choices.choose(s3, who, 'k2')).toEqual({ checksum: 'sha256', probed: false });
  });

  it('never asks for CRC32 over plain http to another host, nor with PART_CHECKSUM=sha256: a CRC does not bind the body to the signature', async () => {
    for (const [setting, endpoint] of [
      ['auto', 'http://10.0.0.7:9000'],
      ['auto', 'http://minio.internal:9000'],
      ['sha256', 'https://s3.example'],
    ] as const) {
      const { s3, seen } = provider('verifies');
      expect(await new PartChecksums(setting).choose(s3, { ...who, endpoint }, 'k')).toEqual({ checksum: 'sha256', probed: true });
      expect(seen.filter((r) => 'uploads' in r.query).map((r) => r.headers['x-amz-checksum-algorithm'])).toEqual(['SHA256']);
      expect(seen.some((r) => r.headers['x-amz-checksum-crc32'] !== undefined)).toBe(false);
    }
  });

  it('uses md5 where the provider checks neither checksum, for good', async () => {
    const { s3, seen } = provider('ignores');
    const choices = new PartChecksums('auto');
    expect(await choices.choose(s3, who, 'k1')).toEqual({ checksum: 'md5', probed: true });
    expect(seen.filter((r) => 'uploads' in r.query)).toHaveLength(2);
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

describe('bodyProtectedInTransit and the candidates it allows', () => {
  it.each([
    ['https://s3.eu-central-1.amazonaws.com', true],
    ['https://10.0.0.7:9000', true],
    ['http://127.0.0.1:8333', true],
    ['http://127.9.9.9:8333', true],
    ['http://localhost:9000', true],
    ['http://[::1]:9000', true],
    ['http://10.0.0.7:9000', false],
    ['http://seaweedfs:8333', false],
    ['http://localhost.example.com', false],
    ['ftp://127.0.0.1', false],
    ['not a url', false],
  ] as const)('%s: %s', (endpoint, protectedInTransit) => {
    expect(bodyProtectedInTransit(endpoint)).toBe(protectedInTransit);
    expect(candidates('auto', endpoint)).toEqual(protectedInTransit ? ['crc32', 'sha256'] : ['sha256']);
    expect(candidates('sha256', endpoint)).toEqual(['sha256']);
    expect(candidates('md5', endpoint)).toEqual([]);
  });
});

describe('partHasher', () => {
  it('CRC32: the standard check value, big-endian in base64, the same fed in pieces as whole', () => {
    // CRC-32 (ISO-HDLC) of "123456789" is 0xCBF43926.
    expect(partDigest('crc32', Buffer.from('123456789'))).toBe(Buffer.from('cbf43926', 'hex').toString('base64'));
    const body = Buffer.from('a,b,c\n'.repeat(10_000));
    const pieces = partHasher('crc32');
    for (let i = 0; i < body.length; i += 777) pieces.update(body.subarray(i, i + 777));
    expect(pieces.digest()).toBe(crc32Of(body));
    expect(partDigest('crc32', Buffer.alloc(0))).toBe('AAAAAA==');
  });

  it.each(['md5', 'sha256'] as const)('%s: the base64 digest node:crypto gives', (checksum) => {
    const body = Buffer.from('x'.repeat(1000));
    const h = partHasher(checksum);
    h.update(body.subarray(0, 300));
    h.update(body.subarray(300));
    expect(h.digest()).toBe(createHash(checksum).update(body).digest('base64'));
  });
});
