import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  NoSuchKey,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CHECKSUM_ALGORITHM, checksumFields, partDigest, pickChecksumFields, type PartChecksum, type PartChecksumFields } from './part-checksum.js';

/** Thin adapter over the multipart calls the export makes, with the idempotency rules they need. */

/** `checksum` 'sha256' or 'crc32': every part must then carry that checksum (uploadPart's) and completion lists them. */
export async function createUpload(s3: S3Client, bucket: string, key: string, contentType: string, checksum: PartChecksum = 'md5'): Promise<string> {
  const out = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ContentType: contentType,
      ...(checksum === 'md5' ? {} : { ChecksumAlgorithm: CHECKSUM_ALGORITHM[checksum] }),
    }),
  );
  if (!out.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  return out.UploadId;
}

/**
 * Makes SigV4 sign the part's headers but not hash its body. The signer skips the body when the
 * request already carries x-amz-content-sha256, and this header is itself signed. Only for requests
 * whose body is protected another way: a signed Content-MD5 or x-amz-checksum-* that the provider
 * verifies (part-checksum.ts says where a CRC is enough).
 */
function signHeadersOnly(command: UploadPartCommand): UploadPartCommand {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'uaExportSignHeadersOnly' },
  );
  return command;
}

export async function uploadPart(
  s3: S3Client,
  args: {
    bucket: string;
    key: string;
    uploadId: string;
    partNumber: number;
    body: Buffer;
    /** The upload's PartChecksum (createUpload's); md5 when absent. */
    checksum?: PartChecksum;
    /** Base64 hash of `body` under `checksum`; computed here when absent. */
    digest?: string;
    abortSignal?: AbortSignal;
  },
): Promise<string> {
  // Content-MD5 (or the x-amz-checksum-*, where the provider checks it: part-checksum.ts) lets the
  // provider reject a part damaged on the way, and being a signed header it also binds the body to the
  // signature. So the SDK's own sha256 of each body (one more hash pass over the file) buys nothing: skip it.
  const checksum = args.checksum ?? 'md5';
  const digest = args.digest ?? partDigest(checksum, args.body);
  const proof: PartChecksumFields & { ContentMD5?: string } = checksum === 'md5' ? { ContentMD5: digest } : checksumFields(checksum, digest);
  const command = signHeadersOnly(
    new UploadPartCommand({
      Bucket: args.bucket,
      Key: args.key,
      UploadId: args.uploadId,
      PartNumber: args.partNumber,
      Body: args.body,
      ContentLength: args.body.length,
      ...proof,
    }),
  );
  const out = await s3.send(command, args.abortSignal ? { abortSignal: args.abortSignal } : {});
  if (!out.ETag) throw new Error(`UploadPart ${args.partNumber} returned no ETag`);
  return out.ETag;
}

/** The ETag S3 gives a multipart object: md5 of the parts' binary md5s, then "-<count>". */
export function multipartEtag(partEtags: string[]): string | null {
  const raw = partEtags.map((e) => e.replace(/"/g, ''));
  if (!raw.every((e) => /^[0-9a-f]{32}$/i.test(e))) return null;
  const md5 = createHash('md5');
  for (const e of raw) md5.update(Buffer.from(e, 'hex'));
  return `${md5.digest('hex')}-${raw.length}`;
}

export interface CompletedObject {
  etag: string;
  /** True when the upload had already been completed by an attempt whose response was lost. */
  alreadyCompleted: boolean;
}

export async function completeUpload(
  s3: S3Client,
  args: {
    bucket: string;
    key: string;
    uploadId: string;
    parts: ({ PartNumber: number; ETag: string } & PartChecksumFields)[];
    bytes: number;
    startedAt: Date;
  },
): Promise<CompletedObject> {
  try {
    const out = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: args.bucket,
        Key: args.key,
        UploadId: args.uploadId,
        // An upload created with a checksum algorithm completes only with each part's checksum listed.
        MultipartUpload: {
          Parts: args.parts.map((p) => ({
            PartNumber: p.PartNumber,
            ETag: p.ETag,
            ...pickChecksumFields(p),
          })),
        },
      }),
    );
    return { etag: (out.ETag ?? '').replace(/"/g, ''), alreadyCompleted: false };
  } catch (err) {
    if ((err as { name?: string }).name !== 'NoSuchUpload') throw err;
    // The upload id is gone: either a previous attempt completed it and its response was lost, or it
    // was aborted. Only an object that matches what we uploaded counts as the former.
    const head = await s3.send(new HeadObjectCommand({ Bucket: args.bucket, Key: args.key })).catch(() => null);
    if (head) {
      const etag = (head.ETag ?? '').replace(/"/g, '');
      const expected = multipartEtag(args.parts.map((p) => p.ETag));
      const sizeMatches = head.ContentLength === args.bytes;
      const fresh = head.LastModified ? head.LastModified.getTime() >= args.startedAt.getTime() - 5 * 60_000 : false;
      if (sizeMatches && (expected ? etag === expected : fresh)) return { etag, alreadyCompleted: true };
    }
    throw err;
  }
}

export async function abortUpload(s3: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  try {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  } catch (err) {
    // Already aborted or completed: the goal (nothing left open) holds.
    if ((err as { name?: string }).name !== 'NoSuchUpload') throw err;
  }
}

/** Open multipart uploads for exactly this key (a prefix listing also matches longer keys). */
export async function openUploads(s3: S3Client, bucket: string, key: string): Promise<string[]> {
  const ids: string[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
    for (const u of out.Uploads ?? []) if (u.Key === key && u.UploadId) ids.push(u.UploadId);
    if (!out.IsTruncated) return ids;
    keyMarker = out.NextKeyMarker;
    uploadIdMarker = out.NextUploadIdMarker;
  }
}

export interface OpenUpload {
  key: string;
  uploadId: string;
  /** When the provider says the upload was created; null when it does not say. */
  initiated: Date | null;
}

/** Every open multipart upload whose key starts with `prefix` (all of the bucket's for an empty prefix). */
export async function openUploadsUnder(s3: S3Client, bucket: string, prefix: string): Promise<OpenUpload[]> {
  const found: OpenUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const out = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, ...(prefix ? { Prefix: prefix } : {}), KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
    );
    for (const u of out.Uploads ?? []) {
      if (u.Key && u.UploadId) found.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated ?? null });
    }
    if (!out.IsTruncated) return found;
    keyMarker = out.NextKeyMarker;
    uploadIdMarker = out.NextUploadIdMarker;
  }
}

/** Part numbers the provider holds for an open upload (ListParts), ascending. */
export async function uploadedPartNumbers(s3: S3Client, bucket: string, key: string, uploadId: string): Promise<number[]> {
  const numbers: number[] = [];
  let marker: string | undefined;
  for (;;) {
    const out = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }));
    for (const p of out.Parts ?? []) if (p.PartNumber !== undefined) numbers.push(p.PartNumber);
    if (!out.IsTruncated || out.NextPartNumberMarker === undefined) return numbers.sort((a, b) => a - b);
    marker = out.NextPartNumberMarker;
  }
}

/** Aborts every open upload for `key` except `keep`; returns how many it aborted. */
export async function abortOtherUploads(s3: S3Client, bucket: string, key: string, keep?: string): Promise<number> {
  const ids = (await openUploads(s3, bucket, key)).filter((id) => id !== keep);
  for (const id of ids) await abortUpload(s3, bucket, key, id);
  return ids.length;
}

/**
 * Reads the object back: its sha256 and size, and with `gunzip` (csv_gzip) the size of its
 * decompressed bytes too, every gzip member of it.
 */
export async function sha256OfObject(
  s3: S3Client,
  bucket: string,
  key: string,
  opts: { gunzip?: boolean } = {},
): Promise<{ sha256: string; bytes: number; uncompressedBytes: number | null; uncompressedSha256: string | null }> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash('sha256');
  let bytes = 0;
  let uncompressed = 0;
  const inner = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, opts.gunzip ? chunk : undefined);
    },
  });
  const count = new Writable({
    write(chunk: Buffer, _enc, done) {
      uncompressed += chunk.length;
      if (opts.gunzip) inner.update(chunk);
      done();
    },
  });
  if (opts.gunzip) await pipeline(out.Body as Readable, tap, createGunzip(), count);
  else await pipeline(out.Body as Readable, tap, count);
  return {
    sha256: hash.digest('hex'),
    bytes,
    uncompressedBytes: opts.gunzip ? uncompressed : null,
    uncompressedSha256: opts.gunzip ? inner.digest('hex') : null,
  };
}

export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await putObject(s3, bucket, key, Buffer.from(`${JSON.stringify(value)}\n`), 'application/json');
}

/** One PutObject with Content-MD5, so the provider rejects a body damaged on the way. */
export async function putObject(s3: S3Client, bucket: string, key: string, body: Buffer, contentType: string): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ContentMD5: createHash('md5').update(body).digest('base64'),
    }),
  );
}

/**
 * Puts `body` at `key` unless the object already holds exactly these bytes; returns whether it wrote.
 * For an object many exports share (a table folder's _schema.json): a day whose schema did not change
 * leaves the object, its Last-Modified and any event notification on it alone. Compares the bytes
 * themselves, not the ETag, which is no MD5 under SSE-KMS and on some providers.
 */
export async function putIfChanged(s3: S3Client, bucket: string, key: string, body: Buffer, contentType: string): Promise<boolean> {
  let current: Buffer | null = null;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    current = Buffer.from(await out.Body!.transformToByteArray());
  } catch (err) {
    if (!(err instanceof NoSuchKey) && (err as { name?: string }).name !== 'NotFound') throw err;
  }
  if (current?.equals(body)) return false;
  await putObject(s3, bucket, key, body, contentType);
  return true;
}

export async function deleteObject(s3: S3Client, bucket: string, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}
