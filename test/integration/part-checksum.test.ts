import { createHash, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDayWorkflow } from '../../workflows/index.js';
import { eventsForDay, insertEvents } from '../../src/dev/generate.js';
import { objectKeys } from '../../src/export/keys.js';
import { abortOtherUploads, completeUpload, createUpload, uploadPart } from '../../src/s3/multipart.js';
import { partDigest, verifiesPartChecksum, type PartChecksumSetting } from '../../src/s3/part-checksum.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import { expectedEventsCsv } from '../helpers/expected-csv.js';
import { historyText, setupHarness, type Harness } from '../helpers/harness.js';

/**
 * Part checksums against the real S3 service: SeaweedFS checks x-amz-checksum-crc32 and -sha256 (and
 * does not check a signed payload hash, which is why that is not used). Its endpoint here is loopback,
 * so PART_CHECKSUM=auto uploads parts with CRC32 checksums, PART_CHECKSUM=sha256 with SHA-256 ones and
 * PART_CHECKSUM=md5 with Content-MD5. Every way the file is exact.
 */
let h: Harness;
beforeAll(async () => {
  h = await setupHarness('part-checksum');
});
afterAll(async () => {
  await h?.close();
});

const MiB = 1024 * 1024;
const FIELD = { sha256: 'ChecksumSHA256', crc32: 'ChecksumCRC32' } as const;

describe.each(['crc32', 'sha256'] as const)('%s part checksums on SeaweedFS', (checksum) => {
  it('the probe says SeaweedFS checks them, and leaves neither an object nor an open upload', async () => {
    const prefix = `probe-${randomUUID()}/`;
    await expect(verifiesPartChecksum(h.s3, h.bucket, `${prefix}part-checksum.txt`, checksum)).resolves.toBe(true);
    expect(await h.listKeys(prefix)).toEqual([]);
    expect(await h.openUploads(prefix)).toEqual([]);
  });

  it('an upload created with it refuses a part whose checksum is wrong, and completes whole with the right ones listed', async () => {
    const key = `${checksum}-${randomUUID()}.csv`;
    const uploadId = await createUpload(h.s3, h.bucket, key, 'text/csv', checksum);
    const bodies = [Buffer.alloc(5 * MiB, 'a'), Buffer.from('tail\n')];
    await expect(
      uploadPart(h.s3, { bucket: h.bucket, key, uploadId, partNumber: 1, body: bodies[0]!, checksum, digest: partDigest(checksum, Buffer.from('other')) }),
    ).rejects.toMatchObject({ name: 'BadDigest' });
    const parts = [];
    for (const [i, body] of bodies.entries()) {
      const ETag = await uploadPart(h.s3, { bucket: h.bucket, key, uploadId, partNumber: i + 1, body, checksum, digest: partDigest(checksum, body) });
      parts.push({ PartNumber: i + 1, ETag, [FIELD[checksum]]: partDigest(checksum, body) });
    }
    await completeUpload(h.s3, { bucket: h.bucket, key, uploadId, parts, bytes: 5 * MiB + 5, startedAt: new Date() });
    expect((await h.getBytes(key)).equals(Buffer.concat(bodies))).toBe(true);
    await abortOtherUploads(h.s3, h.bucket, key);
  });
});

describe('a multipart day through the workflow', () => {
  const PART = 5 * MiB;
  /** The startFile result and the uploadParts input its history recorded: where the choice shows. */
  async function exportDay(partChecksum: PartChecksumSetting, day: string) {
    const worker = await h.startWorker({ partSize: PART, partChecksum });
    try {
      const integration = await h.integration();
      const events = [...eventsForDay(integration.appId, day, 9_000, 5)].map((e) => ({ ...e, profile_id: e.profile_id ?? randomUUID() }));
      await insertEvents(h.pool, events);
      const workflowId = exportWorkflowId(integration.id, day);
      await h.testEnv.client.workflow.execute(exportDayWorkflow, {
        taskQueue: h.taskQueue,
        workflowId,
        args: [{ integrationId: integration.id, day, kind: 'manual', tables: ['ua_events'] }],
      });
      const key = objectKeys(integration.bucket, integration.folder, 'ua_events', day).dataKey;
      const csv = await h.getText(key);
      expect(Buffer.byteLength(csv)).toBeGreaterThan(PART);
      expect(csv).toBe(expectedEventsCsv(events));
      const history = historyText(await h.testEnv.client.workflow.getHandle(workflowId).fetchHistory());
      const head = await h.s3.send(new HeadObjectCommand({ Bucket: h.bucket, Key: key, ChecksumMode: 'ENABLED' }));
      return { history, head, csv: Buffer.from(csv) };
    } finally {
      await worker.stop();
    }
  }

  /** The parts' `hash` digests, concatenated and hashed again: the composite checksum a provider keeps. */
  function composite(csv: Buffer, part: (b: Buffer) => Buffer, whole: (b: Buffer) => Buffer): string {
    const parts = Math.ceil(csv.length / PART);
    const digests = [];
    for (let i = 0; i < parts; i++) digests.push(part(csv.subarray(i * PART, (i + 1) * PART)));
    return `${whole(Buffer.concat(digests)).toString('base64')}-${parts}`;
  }
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
  const crc = (b: Buffer) => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(crc32(b));
    return out;
  };

  it('PART_CHECKSUM=auto, loopback endpoint: the upload is created with CRC32 and every part carries its checksum', async () => {
    const { history, head, csv } = await exportDay('auto', '2026-05-05');
    expect(history).toMatch(/"checksum":"crc32"/);
    expect(history).toMatch(/"ChecksumCRC32":"[A-Za-z0-9+/]{6}=="/);
    expect(history).not.toMatch(/"checksum":"(md5|sha256)"/);
    // The provider holds the object's composite checksum: the CRC32 of its parts' CRC32s, which it can
    // only have built from checksums of exactly the bytes it kept.
    expect(head.ChecksumCRC32).toBe(composite(csv, crc, crc));
    expect(head.ChecksumSHA256).toBeUndefined();
  }, 120_000);

  it('PART_CHECKSUM=sha256: the upload is created with SHA-256 and every part carries its checksum', async () => {
    const { history, head, csv } = await exportDay('sha256', '2026-05-06');
    expect(history).toMatch(/"checksum":"sha256"/);
    expect(history).toMatch(/"ChecksumSHA256":"[A-Za-z0-9+/]{43}="/);
    expect(history).not.toMatch(/"checksum":"(md5|crc32)"/);
    expect(history).not.toMatch(/ChecksumCRC32/);
    expect(head.ChecksumSHA256).toBe(composite(csv, sha256, sha256));
  }, 120_000);

  it('PART_CHECKSUM=md5: no probe, Content-MD5 on every part, no checksum listed', async () => {
    const { history, head } = await exportDay('md5', '2026-05-07');
    expect(history).toMatch(/"checksum":"md5"/);
    expect(history).not.toMatch(/ChecksumSHA256|ChecksumCRC32/);
    expect(head.ChecksumSHA256).toBeUndefined();
    expect(head.ChecksumCRC32).toBeUndefined();
  }, 120_000);
});
