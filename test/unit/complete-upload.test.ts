import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { completeUpload, multipartEtag } from '../../src/s3/multipart.js';

/** Providers that answer a repeated CompleteMultipartUpload with NoSuchUpload: decided by HeadObject. */
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const parts = [
  { PartNumber: 1, ETag: `"${md5('part one')}"` },
  { PartNumber: 2, ETag: `"${md5('part two')}"` },
];

function stubS3(head: { ETag?: string; ContentLength?: number; LastModified?: Date } | null): S3Client {
  return {
    send: async (command: { constructor: { name: string } }) => {
      const name = command.constructor.name;
      if (name === 'CompleteMultipartUploadCommand') throw Object.assign(new Error('upload gone'), { name: 'NoSuchUpload' });
      if (name === 'HeadObjectCommand') {
        if (!head) throw Object.assign(new Error('not found'), { name: 'NotFound' });
        return head;
      }
      throw new Error(`unexpected ${name}`);
    },
  } as unknown as S3Client;
}

const args = { bucket: 'b', key: 'k', uploadId: 'u', parts, bytes: 16, startedAt: new Date('2026-01-01T00:00:00Z') };

describe('completeUpload after a lost response (NoSuchUpload)', () => {
  it('is a success when the object carries the multipart ETag of our parts and our size', async () => {
    const etag = multipartEtag(parts.map((p) => p.ETag))!;
    await expect(completeUpload(stubS3({ ETag: `"${etag}"`, ContentLength: 16 }), args)).resolves.toEqual({ etag, alreadyCompleted: true });
  });

  it("is a failure when the object is someone else's (other ETag), another size, or missing", async () => {
    const etag = multipartEtag(parts.map((p) => p.ETag))!;
    await expect(completeUpload(stubS3({ ETag: '"0123456789abcdef0123456789abcdef-2"', ContentLength: 16 }), args)).rejects.toMatchObject({
      name: 'NoSuchUpload',
    });
    await expect(completeUpload(stubS3({ ETag: `"${etag}"`, ContentLength: 15 }), args)).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await expect(completeUpload(stubS3(null), args)).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('falls back to size and freshness when part ETags are not MD5s (e.g. SSE-KMS)', async () => {
    const opaque = { ...args, parts: [{ PartNumber: 1, ETag: '"opaque-etag"' }] };
    await expect(completeUpload(stubS3({ ETag: '"x-1"', ContentLength: 16, LastModified: new Date('2026-01-01T00:01:00Z') }), opaque)).resolves.toEqual({
      etag: 'x-1',
      alreadyCompleted: true,
    });
    await expect(completeUpload(stubS3({ ETag: '"x-1"', ContentLength: 16, LastModified: new Date('2025-12-01T00:00:00Z') }), opaque)).rejects.toMatchObject({
      name: 'NoSuchUpload',
    });
  });
});

describe('completeUpload lists each part as the provider needs it', () => {
  it("with the part's checksum field, whichever algorithm the upload was created with, and nothing else of the part", async () => {
    let sent: unknown = null;
    const s3 = {
      send: async (command: { constructor: { name: string }; input: unknown }) => {
        sent = command.input;
        return { ETag: '"e-3"' };
      },
    } as unknown as S3Client;
    const listed = [
      { PartNumber: 1, ETag: '"a"', ChecksumCRC32: 'AAAAAA==', size: 6 },
      { PartNumber: 2, ETag: '"b"', ChecksumSHA256: 'c2hh' },
      { PartNumber: 3, ETag: '"c"' },
    ];
    await expect(completeUpload(s3, { ...args, parts: listed })).resolves.toEqual({ etag: 'e-3', alreadyCompleted: false });
    expect(sent).toMatchObject({ Bucket: 'b', Key: 'k', UploadId: 'u' });
    expect((sent as { MultipartUpload: { Parts: unknown[] } }).MultipartUpload.Parts).toEqual([
      { PartNumber: 1, ETag: '"a"', ChecksumCRC32: 'AAAAAA==' },
      { PartNumber: 2, ETag: '"b"', ChecksumSHA256: 'c2hh' },
      { PartNumber: 3, ETag: '"c"' },
    ]);
  });
});
