import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { crc32 } from 'node:zlib';
import { classifyAddress } from '../integrations/validation.js';

/**
 * How each part of a multipart upload proves its bytes to the provider. Each makes a part damaged on
 * the way fail instead of landing:
 * - 'md5': a Content-MD5 header. Every S3-compatible provider checks it.
 * - 'sha256' / 'crc32': an x-amz-checksum-sha256 / -crc32 header, on an upload created with that
 *   ChecksumAlgorithm and completed with each part's checksum. Not every provider checks them, so each
 *   is used only where a probe saw the provider refuse a wrong one. SHA-256 runs on the CPU's SHA
 *   extensions and MD5 cannot; CRC32 (zlib's, carry-less multiply) is cheaper still
 *   (docs/BENCHMARKS.md, "Part checksums" and "CRC32 part checksums").
 *
 * The checksum header is signed and the body is not (multipart.ts, signHeadersOnly), so the checksum
 * is also what binds the body to the signature. A CRC can be forged by whoever can rewrite the bytes on
 * the way, MD5 and SHA-256 cannot: CRC32 is used only where nobody can (bodyProtectedInTransit).
 */
export type PartChecksum = 'md5' | 'sha256' | 'crc32';

/**
 * PART_CHECKSUM: 'auto' probes each bucket once per worker process for CRC32 (over TLS or loopback),
 * then SHA-256; 'sha256' probes for SHA-256 only; 'md5' never probes.
 */
export type PartChecksumSetting = 'auto' | 'sha256' | 'md5';

/** The part checksums sent as x-amz-checksum-* headers, by the name CreateMultipartUpload gives each. */
export const CHECKSUM_ALGORITHM = { sha256: 'SHA256', crc32: 'CRC32' } as const;
export type HeaderChecksum = keyof typeof CHECKSUM_ALGORITHM;

/** The field of UploadPart and of CompleteMultipartUpload's part entry that carries each such checksum. */
type ChecksumField = `Checksum${(typeof CHECKSUM_ALGORITHM)[HeaderChecksum]}`;
const fieldOf = (checksum: HeaderChecksum): ChecksumField => `Checksum${CHECKSUM_ALGORITHM[checksum]}`;

/** A part's checksum where a multipart request carries it: UploadPart's header, CompleteMultipartUpload's part entry. */
export type PartChecksumFields = { [F in ChecksumField]?: string };

/** The field that carries a part's `digest` under `checksum`; none for md5 (Content-MD5 is UploadPart's own). */
export function checksumFields(checksum: PartChecksum, digest: string): PartChecksumFields {
  return checksum === 'md5' ? {} : { [fieldOf(checksum)]: digest };
}

/** The checksum fields `part` carries, and nothing else of it: what a completion lists per part. */
export function pickChecksumFields(part: PartChecksumFields): PartChecksumFields {
  const picked: PartChecksumFields = {};
  for (const checksum of Object.keys(CHECKSUM_ALGORITHM) as HeaderChecksum[]) {
    const field = fieldOf(checksum);
    if (part[field]) picked[field] = part[field];
  }
  return picked;
}

/** Hashes one part as its bytes arrive; digest() gives the base64 value its header carries. */
export interface PartHasher {
  update(bytes: Buffer): void;
  digest(): string;
}

class Crc32Hasher implements PartHasher {
  private value = 0;
  update(bytes: Buffer): void {
    this.value = crc32(bytes, this.value);
  }
  digest(): string {
    // x-amz-checksum-crc32: the CRC's four bytes, big-endian, in base64.
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(this.value >>> 0);
    return out.toString('base64');
  }
}

export function partHasher(checksum: PartChecksum): PartHasher {
  if (checksum === 'crc32') return new Crc32Hasher();
  const hash = createHash(checksum);
  return { update: (bytes) => void hash.update(bytes), digest: () => hash.digest('base64') };
}

/** The base64 checksum of a whole body under `checksum`. */
export function partDigest(checksum: PartChecksum, body: Buffer): string {
  const h = partHasher(checksum);
  h.update(body);
  return h.digest();
}

/**
 * Whether nobody between the worker and the endpoint can rewrite a part's bytes: TLS authenticates
 * every byte, and a loopback address never leaves the machine. Plain http to any other host (allowed
 * outside production: ALLOW_PLAIN_HTTP_ENDPOINTS) is not, and there only a cryptographic part
 * checksum binds the body to the signature. Host names other than localhost are not resolved: what
 * a name points at can change after this answer is kept.
 */
export function bodyProtectedInTransit(endpoint: string): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  return isIP(host) !== 0 && classifyAddress(host) === 'loopback';
}

/** The whole probe's bound, well inside startFile's start-to-close timeout (src/export/recovery-bounds.ts). */
export const PROBE_TIMEOUT_MS = 15_000;

const PROBE_BODY = Buffer.from('ua-export part checksum probe\n');

/**
 * A 4xx answer: the provider understood the request and refused it. Anything else says nothing, and
 * so do 408 and 429 (try again later).
 */
function refused(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * Whether the provider verifies `algorithm` part checksums, tried on a tiny upload at `probeKey` that
 * leaves nothing behind: an upload created with that ChecksumAlgorithm must take a part with the right
 * checksum, refuse one with a wrong checksum, and complete with the part's checksum listed. True only
 * when all three hold; false when the provider answered otherwise. Throws when it could not be asked
 * (unreachable, 5xx): no answer yet.
 */
export async function verifiesPartChecksum(
  s3: S3Client,
  bucket: string,
  probeKey: string,
  algorithm: HeaderChecksum,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<boolean> {
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
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: probeKey, ChecksumAlgorithm: CHECKSUM_ALGORITHM[algorithm], ContentType: 'text/plain' }),
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
          ...checksumFields(algorithm, checksum),
        }),
        deadline,
      );
    const right = partDigest(algorithm, PROBE_BODY);
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
      await part(2, partDigest(algorithm, Buffer.from('not the body')));
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
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etag, ...checksumFields(algorithm, right) }] },
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

/** Asks a provider whether it verifies `algorithm` part checksums (verifiesPartChecksum's contract). */
export type PartChecksumProbe = (s3: S3Client, bucket: string, probeKey: string, algorithm: HeaderChecksum) => Promise<boolean>;

/** The checksums a bucket may get under `setting`, cheapest first; md5 is what is left when none verifies. */
export function candidates(setting: PartChecksumSetting, endpoint: string): HeaderChecksum[] {
  if (setting === 'md5') return [];
  if (setting === 'sha256' || !bodyProtectedInTransit(endpoint)) return ['sha256'];
  return ['crc32', 'sha256'];
}

/**
 * The checksum for a bucket, found by probing its candidates in turn (one tiny upload each, at
 * `probeKey`, which each probe cleans up before the next): the first the provider verifies, else md5.
 * Throws when a probe got no answer.
 */
export async function probePartChecksum(
  s3: S3Client,
  who: BucketIdentity,
  probeKey: string,
  setting: PartChecksumSetting,
  probe: PartChecksumProbe = verifiesPartChecksum,
): Promise<PartChecksum> {
  for (const algorithm of candidates(setting, who.endpoint)) if (await probe(s3, who.bucket, probeKey, algorithm)) return algorithm;
  return 'md5';
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
    private readonly probe: PartChecksumProbe = verifiesPartChecksum,
  ) {}

  /** The checksum for a new upload to `who.bucket`; `probeKey` is where a probe may write. */
  async choose(s3: S3Client, who: BucketIdentity, probeKey: string): Promise<{ checksum: PartChecksum; probed: boolean; probeError?: string }> {
    if (this.setting === 'md5') return { checksum: 'md5', probed: false };
    const id = `${who.endpoint}\n${who.bucket}\n${who.accessKeyId}`;
    const cached = this.known.get(id);
    if (cached) return { checksum: await cached.catch((): PartChecksum => 'md5'), probed: false };
    const answer = probePartChecksum(s3, who, probeKey, this.setting, this.probe);
    this.known.set(id, answer);
    try {
      return { checksum: await answer, probed: true };
    } catch (err) {
      this.known.delete(id);
      return { checksum: 'md5', probed: true, probeError: err instanceof Error ? err.message : String(err) };
    }
  }
}
