import { ApplicationFailure } from '@temporalio/activity';
import { formatOfKey } from '../src/export/formats/format.js';
import type { UploadedPart } from '../src/export/stream-parts.js';
import { abortOtherUploads, completeUpload, deleteObject, sha256OfObject } from '../src/s3/multipart.js';
import type { ActivityDeps, FileRun } from './deps.js';
import { keepAlive, openStorage } from './storage.js';

export interface CompleteInput extends FileRun {
  bucket: string;
  key: string;
  uploadId: string;
  parts: UploadedPart[];
  bytes: number;
  sha256: string | null;
  startedAt: string;
  /** uploadParts' figure for csv_gzip; null (or absent) makes completion read the object back for it. */
  uncompressedBytes?: number | null;
}

export function createCompleteFile(deps: ActivityDeps) {
  /** Completes the upload (a completion whose response was lost counts as done) and settles the file's sha256. */
  return async function completeFile(
    input: CompleteInput & { manifestKey: string },
  ): Promise<{ etag: string; sha256: string; alreadyCompleted: boolean; uncompressedBytes?: number | null }> {
    const { s3, fail } = await openStorage(deps, input.integrationId, input.bucket);
    const stop = keepAlive();
    try {
      // An older manifest must not vouch for the file about to replace its object.
      await deleteObject(s3, input.bucket, input.manifestKey);
      const done = await completeUpload(s3, {
        bucket: input.bucket,
        key: input.key,
        uploadId: input.uploadId,
        parts: input.parts,
        bytes: input.bytes,
        startedAt: new Date(input.startedAt),
      });
      let sha256 = input.sha256;
      const gzip = formatOfKey(input.key) === 'csv_gzip';
      let uncompressedBytes = gzip ? (input.uncompressedBytes ?? null) : null;
      if (!sha256 || (gzip && uncompressedBytes === null)) {
        // The upload resumed mid-file, so no single pass saw every byte: read the object back.
        const read = await sha256OfObject(s3, input.bucket, input.key, { gunzip: gzip });
        if (read.bytes !== input.bytes)
          throw ApplicationFailure.nonRetryable(`completed object has ${read.bytes} bytes, expected ${input.bytes}`, 'SizeMismatch');
        sha256 = read.sha256;
        uncompressedBytes = read.uncompressedBytes;
      }
      // Anything a crashed attempt opened for this key is garbage now.
      await abortOtherUploads(s3, input.bucket, input.key);
      return { etag: done.etag, sha256, alreadyCompleted: done.alreadyCompleted, uncompressedBytes };
    } catch (err) {
      return fail(err);
    } finally {
      stop();
      s3.destroy();
    }
  };
}
