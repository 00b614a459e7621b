import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { uploadPart } from '../../src/s3/multipart.js';
import { partDigest, type PartChecksum } from '../../src/s3/part-checksum.js';
import { inProcessS3 } from '../helpers/in-process-s3.js';

/** What uploadPart puts on the wire, captured by a request handler that never leaves the process. */
async function capture(body: Buffer, checksum?: PartChecksum, digest?: string): Promise<Record<string, string>> {
  const seen: Record<string, string>[] = [];
  const s3 = inProcessS3(async (request) => {
    seen.push({ ...request.headers });
    return { response: { statusCode: 200, headers: { etag: '"e"' }, body: Readable.from([]) } };
  });
  await uploadPart(s3, {
    bucket: 'b',
    key: 'k.csv',
    uploadId: 'u',
    partNumber: 1,
    body,
    ...(checksum ? { checksum } : {}),
    ...(digest ? { digest } : {}),
  });
  s3.destroy();
  return seen[0]!;
}

describe('uploadPart signing', () => {
  it('signs the headers, Content-MD5 among them, but not the payload', async () => {
    const headers = await capture(Buffer.from('a,b\n'));
    expect(headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(headers['content-md5']).toBe('9p9bcrx5qS3HDGPJqhQuNg==');
    const signed = /SignedHeaders=([^,]+)/.exec(headers.authorization ?? '')?.[1]?.split(';') ?? [];
    expect(signed).toEqual(expect.arrayContaining(['content-md5', 'x-amz-content-sha256', 'host', 'x-amz-date']));
  });

  it('sends the Content-MD5 it is given instead of hashing the body again', async () => {
    const given = Buffer.alloc(16, 7).toString('base64');
    expect((await capture(Buffer.from('a,b\n'), 'md5', given))['content-md5']).toBe(given);
  });

  it.each([
    ['sha256', 'x-amz-checksum-sha256'],
    ['crc32', 'x-amz-checksum-crc32'],
  ] as const)('with a %s checksum, signs %s instead of Content-MD5, and still not the payload', async (checksum, header) => {
    const body = Buffer.from('a,b\n');
    const digest = partDigest(checksum, body);
    const headers = await capture(body, checksum, digest);
    expect(headers[header]).toBe(digest);
    expect(headers['content-md5']).toBeUndefined();
    expect(headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    const signed = /SignedHeaders=([^,]+)/.exec(headers.authorization ?? '')?.[1]?.split(';') ?? [];
    expect(signed).toEqual(expect.arrayContaining([header, 'x-amz-content-sha256']));
  });

  it('hashes the body itself under the checksum it is given without a digest', async () => {
    const body = Buffer.from('a,b\n');
    expect((await capture(body, 'crc32'))['x-amz-checksum-crc32']).toBe(partDigest('crc32', body));
    expect((await capture(body, 'sha256'))['x-amz-checksum-sha256']).toBe(createHash('sha256').update(body).digest('base64'));
  });
});
