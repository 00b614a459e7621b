import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { joinKey, parseBucket } from '../export/keys.js';
import { createS3Client, type StorageConfig } from '../s3/client.js';
import { classifyStorageError } from '../s3/errors.js';
import { abortUpload, completeUpload, createUpload, deleteObject, openUploads, putJson, uploadPart } from '../s3/multipart.js';
import { probePartChecksum, verifiesPartChecksum, type PartChecksum, type PartChecksumSetting } from '../s3/part-checksum.js';

/**
 * "Test connection": exercises the real write path an export uses against the customer's storage,
 * with a tiny probe under the integration's own prefix, then removes everything it wrote. Every
 * failure says what to fix (wrong key, wrong secret, no such bucket, access denied, unreachable, TLS).
 */

export const PROBE_STEPS = ['put_object', 'create_multipart_upload', 'upload_part', 'complete_multipart_upload', 'delete_objects', 'abort_leftovers'] as const;
export type ProbeStepName = (typeof PROBE_STEPS)[number];

export interface ProbeStep {
  name: ProbeStepName;
  ok: boolean;
  /** True when the step did not run because an earlier one failed. */
  skipped: boolean;
  error: string | null;
  durationMs: number;
}

export interface ProbeResult {
  ok: boolean;
  bucket: string;
  /** Folder the probe objects were written under (and removed from). */
  probePrefix: string;
  steps: ProbeStep[];
  /**
   * How an export's multipart parts will prove their bytes to this provider (src/s3/part-checksum.ts):
   * 'crc32' (over TLS or loopback) or 'sha256' where it refused a wrong checksum of that kind, else
   * 'md5'; null when the write steps failed.
   */
  partChecksum: PartChecksum | null;
}

export interface ProbeTarget {
  /** The integration's bucket field: the bucket, optionally followed by folders. */
  bucket: string;
  folder: string;
}

export interface ProbeOptions {
  /** Per storage request. */
  stepTimeoutMs?: number;
  probeId?: string;
  createClient?: (cfg: StorageConfig) => S3Client;
  /** PART_CHECKSUM: what the worker would probe for; 'md5' reports md5 without probing. Default 'auto'. */
  partChecksum?: PartChecksumSetting;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ProbeTimeout',
]);

class ProbeTimeout extends Error {
  override name = 'ProbeTimeout';
  readonly code = 'ProbeTimeout';
}

/** A storage failure as a sentence that says what to fix; `unreachable` means later steps can't help. */
export function explainProbeError(err: unknown, ctx: { endpoint: string; bucket: string; accessKeyId: string }): { message: string; unreachable: boolean } {
  const c = classifyStorageError(err, ctx);
  if (UNREACHABLE.has(c.reason)) {
    return {
      message: `endpoint ${ctx.endpoint} is unreachable (${c.reason}): check the endpoint URL and port, and that this server can reach it (firewall, VPN, IP allow-list)`,
      unreachable: true,
    };
  }
  return { message: c.message, unreachable: c.reason === 'TlsError' || c.reason === 'EndpointNotFound' };
}

function timed<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout(`no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function testConnection(storage: StorageConfig, target: ProbeTarget, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const stepTimeoutMs = opts.stepTimeoutMs ?? 15_000;
  const { bucket, prefix } = parseBucket(target.bucket);
  const probePrefix = joinKey(prefix, target.folder, '_ua_export_probe', opts.probeId ?? randomUUID());
  const putKey = `${probePrefix}/put-object.json`;
  const multipartKey = `${probePrefix}/multipart.txt`;
  const ctx = { endpoint: storage.endpoint, bucket, accessKeyId: storage.accessKeyId };
  const s3 = (opts.createClient ?? createS3Client)(storage);

  const steps: ProbeStep[] = [];
  let blocked: string | null = null; // why the remaining write steps are skipped
  let unreachable = false;

  const run = async (name: ProbeStepName, fn: () => Promise<void>, opt: { cleanup?: boolean } = {}): Promise<boolean> => {
    const skipReason = opt.cleanup ? (unreachable ? blocked : null) : blocked;
    if (skipReason) {
      steps.push({ name, ok: false, skipped: true, error: `skipped: ${skipReason}`, durationMs: 0 });
      return false;
    }
    const started = Date.now();
    try {
      await timed(fn(), stepTimeoutMs);
      steps.push({ name, ok: true, skipped: false, error: null, durationMs: Date.now() - started });
      return true;
    } catch (err) {
      const explained = explainProbeError(err, ctx);
      steps.push({ name, ok: false, skipped: false, error: explained.message, durationMs: Date.now() - started });
      blocked ??= `${name} failed`;
      unreachable ||= explained.unreachable;
      return false;
    }
  };

  let putDone = false;
  let uploadId: string | null = null;
  let multipartAttempted = false;
  let completed = false;
  let partChecksum: PartChecksum | null = null;
  try {
    putDone = await run('put_object', () => putJson(s3, bucket, putKey, { probe: 'ua-export test-connection', at: new Date().toISOString() }));

    await run('create_multipart_upload', async () => {
      multipartAttempted = true;
      uploadId = await createUpload(s3, bucket, multipartKey, 'text/plain; charset=utf-8');
    });

    // The only part is also the last one, so it may be smaller than the 5 MiB minimum of other parts.
    const body = Buffer.from('ua-export test-connection probe\n'.repeat(32));
    let etag: string | null = null;
    await run('upload_part', async () => {
      etag = await uploadPart(s3, { bucket, key: multipartKey, uploadId: uploadId!, partNumber: 1, body });
    });

    completed = await run('complete_multipart_upload', async () => {
      await completeUpload(s3, {
        bucket,
        key: multipartKey,
        uploadId: uploadId!,
        parts: [{ PartNumber: 1, ETag: etag! }],
        bytes: body.length,
        startedAt: new Date(),
      });
    });
    // What the export will use, found the way the worker finds it; the probe removes what it wrote.
    if (completed) {
      partChecksum = await probePartChecksum(s3, ctx, `${probePrefix}/part-checksum.txt`, opts.partChecksum ?? 'auto', (client, b, key, algorithm) =>
        verifiesPartChecksum(client, b, key, algorithm, stepTimeoutMs),
      ).catch((): PartChecksum => 'md5');
    }
  } finally {
    // Cleanup runs after a failed write too; only an unreachable endpoint makes it pointless.
    const written = [...(putDone ? [putKey] : []), ...(completed ? [multipartKey] : [])];
    if (written.length === 0 && !unreachable) {
      steps.push({ name: 'delete_objects', ok: true, skipped: true, error: null, durationMs: 0 });
    } else {
      await run(
        'delete_objects',
        async () => {
          for (const key of written) await deleteObject(s3, bucket, key);
        },
        { cleanup: true },
      );
    }
    if (!multipartAttempted && !unreachable) {
      steps.push({ name: 'abort_leftovers', ok: true, skipped: true, error: null, durationMs: 0 });
    } else {
      await run(
        'abort_leftovers',
        async () => {
          // The upload this probe opened, plus any whose create answer was lost on the way back.
          if (uploadId && !completed) await abortUpload(s3, bucket, multipartKey, uploadId);
          for (const id of await openUploads(s3, bucket, multipartKey)) await abortUpload(s3, bucket, multipartKey, id);
        },
        { cleanup: true },
      );
    }
    s3.destroy();
  }

  return { ok: steps.every((s) => s.ok), bucket, probePrefix, steps, partChecksum };
}
