import { describe, expect, it } from 'vitest';
import { classifyS3Request, seededRandom, type S3Op } from '../chaos/fault-proxy.js';

/** The chaos proxy's S3 operation names, from path-style requests as the AWS SDK v3 sends them. */
const cases: [method: string, url: string, op: S3Op][] = [
  ['POST', '/b/dir/k.csv?uploads', 'CreateMultipartUpload'],
  ['POST', '/b/dir/k.csv?uploads=&x-id=CreateMultipartUpload', 'CreateMultipartUpload'],
  ['PUT', '/b/dir/k.csv?x-id=UploadPart&partNumber=3&uploadId=abc', 'UploadPart'],
  ['POST', '/b/dir/k.csv?uploadId=abc', 'CompleteMultipartUpload'],
  ['DELETE', '/b/dir/k.csv?x-id=AbortMultipartUpload&uploadId=abc', 'AbortMultipartUpload'],
  ['GET', '/b/dir/k.csv?x-id=ListParts&uploadId=abc', 'ListParts'],
  ['GET', '/b?uploads&prefix=dir%2Fk.csv', 'ListMultipartUploads'],
  ['PUT', '/b/dir/k.csv?x-id=PutObject', 'PutObject'],
  ['PUT', '/b/k', 'PutObject'],
  ['GET', '/b/dir/k.csv?x-id=GetObject', 'GetObject'],
  ['GET', '/b/k?versionId=v1&response-content-type=text%2Fplain', 'GetObject'],
  ['GET', '/b/k?partNumber=2', 'GetObject'],
  ['HEAD', '/b/dir/k.csv', 'HeadObject'],
  ['DELETE', '/b/dir/k.csv?x-id=DeleteObject', 'DeleteObject'],
  ['GET', '/b?list-type=2&prefix=dir%2F&continuation-token=t', 'ListObjects'],
  ['GET', '/b/?list-type=2', 'ListObjects'],
  ['GET', '/b', 'ListObjects'],
  // A presigned UploadPart carries its signature in the query.
  ['PUT', '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=s&partNumber=1&uploadId=u', 'UploadPart'],
  ['GET', '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=c&X-Amz-Signature=s', 'GetObject'],
  // Bucket-level and sub-resource operations the chaos suite does not tell apart.
  ['GET', '/', 'Other'],
  ['PUT', '/b', 'Other'],
  ['HEAD', '/b', 'Other'],
  ['POST', '/b?delete', 'Other'],
  ['GET', '/b?location', 'Other'],
  ['GET', '/b?versions&prefix=k', 'Other'],
  ['GET', '/b/k?tagging', 'Other'],
  ['PUT', '/b/k?acl', 'Other'],
  ['POST', '/b/k', 'Other'],
  ['PUT', '/b/k?uploadId=abc', 'Other'],
];

describe('classifyS3Request', () => {
  it.each(cases)('%s %s is %s', (method, url, op) => {
    const [path = '', query = ''] = url.split('?');
    expect(classifyS3Request(method, path, new URLSearchParams(query))).toBe(op);
  });

  it('reads the method case-insensitively', () => {
    expect(classifyS3Request('put', '/b/k', new URLSearchParams('partNumber=1&uploadId=u'))).toBe('UploadPart');
  });
});

describe('seededRandom', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const draw = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 32 }, () => r());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    for (const x of draw(7)) expect(x >= 0 && x < 1).toBe(true);
  });

  it('is roughly uniform, so a probability means what it says', () => {
    const r = seededRandom(1);
    const n = 10_000;
    let below = 0;
    for (let i = 0; i < n; i++) if (r() < 0.3) below++;
    expect(below / n).toBeGreaterThan(0.27);
    expect(below / n).toBeLessThan(0.33);
  });
});
