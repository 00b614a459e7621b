import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv, type Env } from '../../src/config/env.js';
import { createS3Client, localS3Client } from '../../src/s3/client.js';
import { startFaultProxy, type FaultProxy, type FaultRule, type ProxyEvent } from '../chaos/fault-proxy.js';

/** The chaos suite's fault proxy in front of the real SeaweedFS, seen through the product's S3 client. */
const MiB = 1024 * 1024;
let env: Env;
let admin: S3Client;
let bucket: string;
const open: { proxy: FaultProxy; clients: S3Client[] }[] = [];

beforeAll(async () => {
  env = loadEnv();
  admin = localS3Client(env);
  bucket = `t-fault-proxy-${randomUUID().slice(0, 8)}`;
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => admin?.destroy());
afterEach(async () => {
  for (const { proxy, clients } of open.splice(0)) {
    for (const c of clients) c.destroy();
    await proxy.close();
  }
});

/**
 * A proxy in front of the local S3 and a client configured as the product's (createS3Client) pointed at
 * it. Without `retries` the SDK's retry middleware is replaced, which is maxAttempts 1: each send is
 * exactly one request, so the fault itself is what the SDK reports.
 */
async function setup(opts: { seed?: number; retries?: boolean } = {}) {
  const proxy = await startFaultProxy({ target: env.LOCAL_S3_ENDPOINT, seed: opts.seed });
  const client = createS3Client({
    endpoint: proxy.url,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: env.LOCAL_S3_ACCESS_KEY_ID,
    secretAccessKey: env.LOCAL_S3_SECRET_ACCESS_KEY,
  });
  // Same name, override: the SDK's retry step becomes a single pass (removing it would break the
  // signing middleware that is placed relative to it).
  if (!opts.retries)
    client.middlewareStack.add((next) => (args) => next(args), {
      step: 'finalizeRequest',
      name: 'retryMiddleware',
      priority: 'high',
      tags: ['RETRY'],
      override: true,
    });
  const events: ProxyEvent[] = [];
  proxy.onEvent((e) => events.push(e));
  open.push({ proxy, clients: [client] });
  return { proxy, client, events };
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const key = (name: string) => `${name}-${randomUUID()}.bin`;

async function directBytes(k: string): Promise<Buffer> {
  const out = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

async function exists(k: string): Promise<boolean> {
  try {
    await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: k }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'NotFound') return false;
    throw err;
  }
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the request to fail, but it succeeded');
}

async function startMultipart(client: S3Client, k: string, parts: Buffer[]) {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: k }));
  const etags = await Promise.all(
    parts.map((Body, i) => client.send(new UploadPartCommand({ Bucket: bucket, Key: k, UploadId, PartNumber: i + 1, Body })).then((r) => r.ETag!)),
  );
  return { uploadId: UploadId!, parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) };
}

describe('fault proxy, no rules', () => {
  it('carries a whole multipart upload (concurrent parts, Expect: 100-continue) and the read-back byte for byte', async () => {
    const { proxy, client, events } = await setup();
    const k = key('whole');
    const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(123_457)];
    const all = Buffer.concat(bodies);
    const { uploadId, parts } = await startMultipart(client, k, bodies);
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: k, UploadId: uploadId, MultipartUpload: { Parts: parts } }));

    expect(sha(await directBytes(k))).toBe(sha(all));
    const viaProxy = await client.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
    expect(sha(await viaProxy.Body!.transformToByteArray())).toBe(sha(all));

    expect(proxy.stats().byOp).toEqual({ CreateMultipartUpload: 1, UploadPart: 3, CompleteMultipartUpload: 1, GetObject: 1 });
    expect(proxy.stats().faults).toEqual({ status: 0, reset: 0, truncate: 0, stall: 0, 'drop-response': 0, throttle: 0 });
    const uploads = events.filter((e) => e.op === 'UploadPart');
    expect(uploads.map((e) => [e.status, e.fault, e.bytesIn]).sort()).toEqual(bodies.map((b) => [200, null, b.length]).sort());
    // The SDK asks to continue for large bodies; the proxy relayed the target's 100 (the SDK would
    // otherwise have waited seconds per part before sending, or the target would have refused).
    expect(uploads.filter((e) => e.expectContinue)).toHaveLength(2);
    expect(events.find((e) => e.op === 'GetObject')).toMatchObject({ status: 200, bytesOut: all.length });
  });

  it('keeps client connections alive across sequential requests', async () => {
    const { proxy, client } = await setup();
    for (let i = 0; i < 8; i++) await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }));
    expect(proxy.stats().requests).toBe(8);
    expect(proxy.stats().connections).toBe(1);
  });
});

describe('fault proxy, raw HTTP', () => {
  /** An unsigned PUT that sends its body only when told to continue; answers status and Connection. */
  function putWithContinue(port: number, agent: Agent): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'PUT', path: `/${bucket}/raw`, agent, headers: { expect: '100-continue', 'content-length': 5 } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(`${res.statusCode} ${res.headers.connection}`));
        },
      );
      req.on('continue', () => req.end('hello'));
      req.on('error', reject);
    });
  }

  it('keeps the connection alive through a faulted and a forwarded Expect: 100-continue request', async () => {
    const { proxy } = await setup();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    proxy.setRules([{ times: 1, action: { type: 'status', status: 503, code: 'SlowDown' } }]);
    try {
      // The second answer is the target's own (an unsigned request is refused), so it was forwarded.
      expect([await putWithContinue(proxy.port, agent), await putWithContinue(proxy.port, agent)]).toEqual(['503 keep-alive', '403 keep-alive']);
    } finally {
      agent.destroy();
    }
    expect(proxy.stats()).toMatchObject({ requests: 2, connections: 1 });
  });
});

describe('fault actions, as the SDK sees them', () => {
  it('status: the SDK surfaces SlowDown and InternalError, and nothing reached the target', async () => {
    const { proxy, client } = await setup();
    const k = key('status');
    proxy.setRules([{ ops: ['PutObject'], action: { type: 'status', status: 503, code: 'SlowDown' } }]);
    const slow = await rejection(client.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'x' })));
    expect(slow.name).toBe('SlowDown');
    expect(slow.$metadata?.httpStatusCode).toBe(503);

    proxy.setRules([{ ops: ['PutObject'], action: { type: 'status', status: 500, code: 'InternalError' } }]);
    const internal = await rejection(client.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'x' })));
    expect(internal.name).toBe('InternalError');
    expect(internal.$metadata?.httpStatusCode).toBe(500);

    expect(proxy.stats()).toMatchObject({ requests: 2, faults: { status: 2 } });
    expect(await exists(k)).toBe(false);
  });

  it('status: the product client (maxAttempts 2) retries past one SlowDown', async () => {
    const { proxy, client, events } = await setup({ retries: true });
    const k = key('retry');
    proxy.setRules([{ ops: ['PutObject'], times: 1, action: { type: 'status', status: 503, code: 'SlowDown' } }]);
    // Large enough for Expect: 100-continue, so the faulted attempt's body is read and dropped.
    const body = randomBytes(3 * MiB);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: body }));
    expect(events.map((e) => [e.op, e.fault, e.status])).toEqual([
      ['PutObject', 'status', null],
      ['PutObject', null, 200],
    ]);
    expect(sha(await directBytes(k))).toBe(sha(body));
  });

  it('reset: the SDK gets a connection reset and nothing reached the target', async () => {
    const { proxy, client, events } = await setup();
    const k = key('reset');
    proxy.setRules([{ ops: ['PutObject'], action: { type: 'reset' } }]);
    const err = await rejection(client.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'x' })));
    expect(err.code).toBe('ECONNRESET');
    expect(events).toMatchObject([{ op: 'PutObject', fault: 'reset', status: null }]);
    expect(await exists(k)).toBe(false);
  });

  it('truncate: a body cut short fails the read', async () => {
    const { proxy, client, events } = await setup();
    const k = key('truncate-body');
    const body = randomBytes(MiB);
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: body }));
    proxy.setRules([{ ops: ['GetObject'], action: { type: 'truncate' } }]);
    const read = async () => {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
      return out.Body!.transformToByteArray();
    };
    await rejection(read());
    expect(events).toMatchObject([{ op: 'GetObject', fault: 'truncate', status: 200, bytesOut: MiB / 2 }]);
  });

  it('truncate: a bodiless answer is cut in its headers, so the SDK errors although the write happened', async () => {
    const { proxy, client } = await setup();
    const k = key('truncate-headers');
    proxy.setRules([{ ops: ['PutObject'], action: { type: 'truncate' } }]);
    await rejection(client.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'landed' })));
    expect((await directBytes(k)).toString()).toBe('landed');
  });

  it('stall: the request is held at least ms, then answered normally', async () => {
    const { proxy, client, events } = await setup();
    const k = key('stall');
    proxy.setRules([{ ops: ['PutObject'], action: { type: 'stall', ms: 1500 } }]);
    const t0 = Date.now();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'late' }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(events).toMatchObject([{ op: 'PutObject', fault: 'stall', status: 200, bytesIn: 4 }]);
    expect((await directBytes(k)).toString()).toBe('late');
  });

  it('drop-response on CompleteMultipartUpload: the SDK errors, but the object exists afterwards', async () => {
    const { proxy, client, events } = await setup();
    const k = key('dropped');
    const bodies = [randomBytes(5 * MiB), randomBytes(1000)];
    const { uploadId, parts } = await startMultipart(client, k, bodies);
    proxy.setRules([{ ops: ['CompleteMultipartUpload'], action: { type: 'drop-response' } }]);
    await rejection(client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: k, UploadId: uploadId, MultipartUpload: { Parts: parts } })));
    expect(events.at(-1)).toMatchObject({ op: 'CompleteMultipartUpload', fault: 'drop-response', status: 200, bytesOut: 0 });
    expect(sha(await directBytes(k))).toBe(sha(Buffer.concat(bodies)));
  });

  it('throttle: a 1 MiB upload at 256 KiB/s takes about 4 s (request side), and a read is paced too', async () => {
    const { proxy, client } = await setup();
    const k = key('throttle');
    const body = randomBytes(MiB);
    proxy.setRules([{ action: { type: 'throttle', bytesPerSecond: 256 * 1024 } }]);
    let t0 = Date.now();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: body }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3500);
    expect(sha(await directBytes(k))).toBe(sha(body));

    proxy.setRules([{ ops: ['GetObject'], action: { type: 'throttle', bytesPerSecond: 512 * 1024 } }]);
    t0 = Date.now();
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
    expect(sha(await out.Body!.transformToByteArray())).toBe(sha(body));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1750);
    expect(proxy.stats().faults.throttle).toBe(2);
  });
});

describe('rules: ops, times, probability and seed', () => {
  /** The fault (or none) of each of `n` sequential ListObjects requests. */
  async function faultSequence(seed: number, rules: FaultRule[], n: number): Promise<(string | null)[]> {
    const { proxy, client, events } = await setup({ seed });
    proxy.setRules(rules);
    for (let i = 0; i < n; i++) await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 })).catch(() => undefined);
    return events.map((e) => e.fault);
  }
  const coin: FaultRule[] = [{ ops: ['ListObjects'], probability: 0.5, action: { type: 'status', status: 503, code: 'SlowDown' } }];

  it('the same seed gives the same fault sequence; another seed another one', async () => {
    const a = await faultSequence(7, coin, 24);
    const b = await faultSequence(7, coin, 24);
    const c = await faultSequence(8, coin, 24);
    expect(a).toHaveLength(24);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    // probability 0.5 applied some of the time, not never or always
    const hits = a.filter((f) => f === 'status').length;
    expect(hits).toBeGreaterThan(4);
    expect(hits).toBeLessThan(20);
  });

  it('times caps a rule, ops filter it, and the first applicable rule wins', async () => {
    const rules: FaultRule[] = [
      { ops: ['PutObject'], action: { type: 'reset' } },
      { ops: ['ListObjects'], times: 2, action: { type: 'status', status: 500, code: 'InternalError' } },
      { ops: ['ListObjects'], times: 1, action: { type: 'stall', ms: 10 } },
    ];
    expect(await faultSequence(1, rules, 5)).toEqual(['status', 'status', 'stall', null, null]);
  });

  it('probability 0 never applies', async () => {
    expect(await faultSequence(1, [{ probability: 0, action: { type: 'reset' } }], 3)).toEqual([null, null, null]);
  });
});

describe('onEvent', () => {
  it('fires for UploadPart with status 200 before the client has its response', async () => {
    const { proxy, client } = await setup();
    const k = key('event');
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: k }));
    const url = await getSignedUrl(client, new UploadPartCommand({ Bucket: bucket, Key: k, UploadId, PartNumber: 1 }), { expiresIn: 300 });

    // The listener blocks this thread: if the event fired before the relay, the client (on its own
    // thread) can only get its answer after the hold; had it fired after, the answer would be earlier.
    const holdMs = 500;
    let eventAt = 0;
    let seen: ProxyEvent | undefined;
    proxy.onEvent((e) => {
      if (e.op !== 'UploadPart') return;
      seen = e;
      eventAt = Date.now();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, holdMs);
    });
    const answer = await new Promise<{ at: number; status: number }>((resolve, reject) => {
      const w = new Worker(
        `const { parentPort, workerData } = require('node:worker_threads');
         fetch(workerData.url, { method: 'PUT', body: workerData.body }).then(
           (r) => parentPort.postMessage({ at: Date.now(), status: r.status }),
           (e) => parentPort.postMessage({ error: String(e) }));`,
        { eval: true, workerData: { url, body: 'part one\n' } },
      );
      w.once('message', (m: { at: number; status: number; error?: string }) => {
        void w.terminate();
        if (m.error) reject(new Error(m.error));
        else resolve(m);
      });
      w.once('error', reject);
    });

    expect(seen).toMatchObject({ op: 'UploadPart', status: 200, fault: null, bytesIn: 9 });
    expect(answer.status).toBe(200);
    expect(answer.at - eventAt).toBeGreaterThanOrEqual(holdMs - 20);
    const listed = await admin.send(new ListPartsCommand({ Bucket: bucket, Key: k, UploadId }));
    expect(listed.Parts?.map((p) => p.Size)).toEqual([9]);
  });
});
