import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * A whole file in one PutObject: the object appears complete or not at all, like a completed multipart
 * upload, in one request instead of three. Content-MD5 lets the provider reject a damaged body, and as a
 * signed header it binds the body to the signature, so the SDK's SHA-256 of the body is skipped
 * (UNSIGNED-PAYLOAD, as for parts: README "Provider notes").
 */
export async function putFile(
  s3: S3Client,
  args: { bucket: string; key: string; body: Buffer; contentMd5: string; contentType: string; abortSignal?: AbortSignal },
): Promise<string> {
  const command = new PutObjectCommand({
    Bucket: args.bucket,
    Key: args.key,
    Body: args.body,
    ContentLength: args.body.length,
    ContentMD5: args.contentMd5,
    ContentType: args.contentType,
  });
  command.middlewareStack.add(
    (next) => async (a) => {
      const request = a.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(a);
    },
    { step: 'build', name: 'uaExportSignHeadersOnly' },
  );
  const out = await s3.send(command, args.abortSignal ? { abortSignal: args.abortSignal } : {});
  if (!out.ETag) throw new Error('PutObject returned no ETag');
  return out.ETag;
}
