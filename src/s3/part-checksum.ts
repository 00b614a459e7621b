import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';

/**
 * How each part of a multipart upload proves its bytes to the provider. Both make a part damaged in
 * transit fail instead of landing:
 * - 'md5': a Content-MD5 header. Every S3-compatible provider checks it.
 * - 'sha256': an x-amz-checksum-sha256 header, on an upload created with ChecksumAlgorithm SHA256 and
 *   completed with each part's checksum. Not every provider checks it, so it is used only where a probe
 *   saw the provider refuse a wrong one. SHA-256 runs on the CPU's SHA extensions, MD5 cannot: the
 *   part hash costs well under half as much (docs/BENCHMARKS.md, "Part checksums").
 */
export type PartChecksum = 'md5' | 'sha256';

/** PART_CHECKSUM: 'auto' probes each bucket once per worker process; 'md5' never probes. */
export type PartChecksumSetting = 'auto' | 'md5';

/** The whole probe's bound, well inside startFile's start-to-close timeout (src/export/recovery-bounds.ts). */
export const PROBE_TIMEOUT_MS = 15_000;

const PROBE_BODY = Buffer.from('ua-export part checksum probe\n');
const sha256Of = (b: Buffer) => createHash('sha256').update(b).digest('base64');

/**
 * A 4xx answer: the provider understood the request and refused it. Anything else says nothing, and
 * so do 408 and 429 (try again later).
 */
function refused(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * Whether the provider verifies SHA-256 part checksums, tried on a tiny upload at `probeKey` that leaves
 * nothing behind: an upload created with ChecksumAlgorithm SHA256 must take a part with the right
 * checksum, refuse one with a wrong checksum, and complete with the part's checksum listed. True only
 * when all three hold; false when the provider answered otherwise. Throws when it could not be asked
 * (unreachable, 5xx): no answer yet.
 */
export async function verifiesSha256Parts(s3: S3Client, bucket: string, probeKey: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  // The probe runs inside startFile: a slow provider must not take its time, so the whole probe is
  // bounded and a late answer counts as none (that file uses MD5).
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  const deadline = { abortSignal: controller.signal };
  let uploadId: string | undefined;
  let completed = false;
  try {
    try {
      const created = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: probeKey, ChecksumAlgorithm: 'SHA256', ContentType: 'text/plain' }),
        deadline,
      );
      uploadId = created.UploadId;
    } catch (err) {
      if (refused(err)) return false;
      throw err;
    }
    if (!uploadId) return false;
    const part = (partNumber: number, checksum: string) =>
      s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: probeKey,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: PROBE_BODY,
          ContentLength: PROBE_BODY.length,
          ChecksumSHA256: checksum,
        }),
        deadline,
      );
    const right = sha256Of(PROBE_BODY);
    let etag: string | undefined;
    try {
      etag = (await part(1, right)).ETag;
    } catch (err) {
      if (refused(err)) return false;
      throw err;
    }
    if (!etag) return false;
    // Part 2 is never listed at completion, so even a provider that stored it leaves nothing behind.
    try {
      await part(2, sha256Of(Buffer.from('not the body')));
      return false; // a wrong checksum was taken: the header is not checked
    } catch (err) {
      if (!refused(err)) throw err;
    }
    try {
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: probeKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etag, ChecksumSHA256: right }] },
        }),
        deadline,
      );
      completed = true;
    } catch (err) {
      if (refused(err)) return false;
      throw err;
    }
    return true;
  } finally {
    // Best effort: a failed clean-up leaves an open upload or a 30-byte object under the probe's own key
    // (_ua_export_probe/<uuid>/, as test-connection's), never at a key a file or a loader uses.
    clearTimeout(timer);
    const cleanup = new AbortController();
    const cleanupTimer = setTimeout(() => cleanup.abort(), timeoutMs);
    const within = { abortSignal: cleanup.signal };
    if (completed) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: probeKey }), within).catch(() => undefined);
    else if (uploadId) await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: probeKey, UploadId: uploadId }), within).catch(() => undefined);
    clearTimeout(cleanupTimer);
  }
}

/** Who answers for a bucket: the same endpoint, bucket and key id get the same answer. */
export interface BucketIdentity {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
}

/**
 * The worker's choice of part checksum per bucket. A definitive probe answer is kept for the life of
 * the process (one probe per bucket, not per file); a probe that could not be asked is not kept, and
 * that file uses MD5, which every provider checks.
 */
export class PartChecksums {
  private readonly known = new Map<string, Promise<PartChecksum>>();

  constructor(
    readonly setting: PartChecksumSetting = 'auto',
    private readonly probe: (s3: S3Client, bucket: string, probeKey: string) => Promise<boolean> = verifiesSha256Parts,
  ) {}

  /** The checksum for a new upload to `who.bucket`; `probeKey` is where a probe may write. */
  async choose(s3: S3Client, who: BucketIdentity, probeKey: string): Promise<{ checksum: PartChecksum; probed: boolean; probeError?: string }> {
    if (this.setting === 'md5') return { checksum: 'md5', probed: false };
    const id = `${who.endpoint}\n${who.bucket}\n${who.accessKeyId}`;
    const cached = this.known.get(id);
    if (cached) return { checksum: await cached.catch((): PartChecksum => 'md5'), probed: false };
    const answer = this.probe(s3, who.bucket, probeKey).then((ok): PartChecksum => (ok ? 'sha256' : 'md5'));
    this.known.set(id, answer);
    try {
      return { checksum: await answer, probed: true };
    } catch (err) {
      this.known.delete(id);
      return { checksum: 'md5', probed: true, probeError: err instanceof Error ? err.message : String(err) };
    }
  }
}
