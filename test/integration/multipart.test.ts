import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localS3Client } from '../../src/s3/client.js';
import { abortOtherUploads, completeUpload, createUpload, multipartEtag, openUploads, uploadPart } from '../../src/s3/multipart.js';
import { setupHarness, type Harness } from '../helpers/harness.js';

/** The multipart adapter against real SeaweedFS: the idempotency rules the export leans on. */
let h: Harness;
beforeAll(async () => {
  h = await setupHarness('multipart');
});
afterAll(async () => {
  await h?.close();
});

const MiB = 1024 * 1024;

describe('multipart adapter', () => {
  // SeaweedFS (like AWS within a window) answers a repeated completion with success; providers that
  // answer NoSuchUpload instead are covered by test/unit/complete-upload.test.ts.
  it('treats completing the same upload again (a retry after a lost response) as the same success', async () => {
    const key = `lost-${randomUUID()}.csv`;
    const uploadId = await createUpload(h.s3, h.bucket, key, 'text/csv');
    const bodies = [Buffer.alloc(5 * MiB, 'a'), Buffer.from('tail\n')];
    const parts = [];
    for (const [i, body] of bodies.entries())
      parts.push({ PartNumber: i + 1, ETag: await uploadPart(h.s3, { bucket: h.bucket, key, uploadId, partNumber: i + 1, body }) });
    const bytes = bodies.reduce((s, b) => s + b.length, 0);
    const startedAt = new Date(Date.now() - 1000);

    const first = await completeUpload(h.s3, { bucket: h.bucket, key, uploadId, parts, bytes, startedAt });
    expect(first.alreadyCompleted).toBe(false);
    expect(first.etag).toBe(multipartEtag(parts.map((p) => p.ETag)));
    const retry = await completeUpload(h.s3, { bucket: h.bucket, key, uploadId, parts, bytes, startedAt });
    expect(retry.etag).toBe(first.etag);
    expect((await h.getBytes(key)).length).toBe(bytes);
  });

  it('does not mistake an aborted upload for a completed one', async () => {
    const key = `aborted-${randomUUID()}.csv`;
    const uploadId = await createUpload(h.s3, h.bucket, key, 'text/csv');
    const etag = await uploadPart(h.s3, { bucket: h.bucket, key, uploadId, partNumber: 1, body: Buffer.from('x\n') });
    await abortOtherUploads(h.s3, h.bucket, key);
    await expect(
      completeUpload(h.s3, { bucket: h.bucket, key, uploadId, parts: [{ PartNumber: 1, ETag: etag }], bytes: 2, startedAt: new Date() }),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('lists and aborts only the uploads of the exact key', async () => {
    const key = `exact-${randomUUID()}.csv`;
    const a = await createUpload(h.s3, h.bucket, key, 'text/csv');
    const b = await createUpload(h.s3, h.bucket, key, 'text/csv');
    const longer = await createUpload(h.s3, h.bucket, `${key}.bak`, 'text/csv');
    expect((await openUploads(h.s3, h.bucket, key)).sort()).toEqual([a, b].sort());
    expect(await abortOtherUploads(h.s3, h.bucket, key, b)).toBe(1);
    expect(await openUploads(h.s3, h.bucket, key)).toEqual([b]);
    expect(await openUploads(h.s3, h.bucket, `${key}.bak`)).toEqual([longer]);
    await abortOtherUploads(h.s3, h.bucket, key);
    await abortOtherUploads(h.s3, h.bucket, `${key}.bak`);
  });

  // uploadPart signs headers only (no payload hash), so Content-MD5 is what protects the body.
  it('rejects a part whose body does not match its Content-MD5, with the body unsigned as uploadPart sends it', async () => {
    const key = `md5-${randomUUID()}.csv`;
    const uploadId = await createUpload(h.s3, h.bucket, key, 'text/csv');
    await expect(
      uploadPart(h.s3, { bucket: h.bucket, key, uploadId, partNumber: 1, body: Buffer.from('actual'), digest: Buffer.alloc(16).toString('base64') }),
    ).rejects.toMatchObject({ name: expect.stringMatching(/BadDigest|InvalidDigest/) });
    await abortOtherUploads(h.s3, h.bucket, key);
  });

  it('accepts headers-only signing with credentials enforced, and a wrong secret is still refused', async () => {
    const key = `unsigned-${randomUUID()}.csv`;
    const uploadId = await createUpload(h.s3, h.bucket, key, 'text/csv');
    const body = Buffer.from('a,b\n1,2\n');
    const etag = await uploadPart(h.s3, { bucket: h.bucket, key, uploadId, partNumber: 1, body });
    expect(etag.replace(/"/g, '')).toBe(createHash('md5').update(body).digest('hex'));
    const forged = localS3Client({ ...h.env, LOCAL_S3_SECRET_ACCESS_KEY: `${h.env.LOCAL_S3_SECRET_ACCESS_KEY}-wrong` });
    try {
      await expect(uploadPart(forged, { bucket: h.bucket, key, uploadId, partNumber: 2, body })).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    } finally {
      forged.destroy();
    }
    await abortOtherUploads(h.s3, h.bucket, key);
  });
});
