import { Agent, createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Transform, pipeline, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { rng } from '../../src/dev/generate.js';

/**
 * A fault-injecting HTTP proxy for the chaos suite, put between the S3 client and the S3 service.
 *
 * It is transparent when no rule applies: method, path, query and every header (Host included, since
 * SigV4 signs it and the client signed for the proxy's host:port) go to the target unchanged, bodies are
 * streamed both ways through pipes (so a 16 MiB part never sits in memory whole), client connections
 * are kept alive and each request gets its own upstream request from a keep-alive pool. `Expect:
 * 100-continue` is relayed: the client is told to send its body only when the target says so.
 *
 * Faults are chosen per request by the first rule whose op filter matches, whose `times` is not used
 * up and whose dice roll hits. The dice come from a PRNG seeded by `seed`, so the same seed and the
 * same sequence of requests give the same faults; concurrent requests reach the dice in arrival order,
 * which a chaos run can only make reproducible by keeping its own concurrency deterministic.
 */

export type S3Op =
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListMultipartUploads'
  | 'ListParts'
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'ListObjects'
  | 'Other';

export type FaultAction =
  /** Answer with an S3 XML error body; the request is NOT forwarded. */
  | { type: 'status'; status: 500 | 503; code: 'InternalError' | 'SlowDown' }
  /** Reset the client connection before forwarding. */
  | { type: 'reset' }
  /**
   * Forward, then send the response headers and only part of the body, then destroy the socket. A
   * response without a body (UploadPart, PutObject) is cut inside its header block instead, since
   * whole headers announcing an empty body would be a complete, successful answer.
   */
  | { type: 'truncate' }
  /** Hold the request `ms` milliseconds, then forward normally. */
  | { type: 'stall'; ms: number }
  /** Forward and let the target finish (the side effect happens), then drop the client connection unanswered. */
  | { type: 'drop-response' }
  /** Forward, pacing the request and response bodies to this rate. */
  | { type: 'throttle'; bytesPerSecond: number };

export interface FaultRule {
  ops?: S3Op[];
  /** Chance that the rule applies to a matching request; default 1. */
  probability?: number;
  /** Most applications of this rule; default unlimited. */
  times?: number;
  action: FaultAction;
}

export interface ProxyEvent {
  op: S3Op;
  method: string;
  path: string;
  /** The raw query string, without the leading `?`. */
  query: string;
  fault: FaultAction['type'] | null;
  /** The target's status when the request was forwarded and answered; null otherwise. */
  status: number | null;
  startedAt: number;
  endedAt: number;
  /** Request body bytes read from the client (by the time the event fired). */
  bytesIn: number;
  /** Response body bytes written to the client (by the time the event fired). */
  bytesOut: number;
  /** Whether the client sent `Expect: 100-continue`. */
  expectContinue: boolean;
}

export type FaultType = FaultAction['type'];

export interface FaultProxyStats {
  requests: number;
  faults: Record<FaultType, number>;
  byOp: Partial<Record<S3Op, number>>;
  /** Client TCP connections accepted: far fewer than `requests` when keep-alive works. */
  connections: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Replaces the rule list (and the rules' `times` counters). */
  setRules(rules: FaultRule[]): void;
  clearRules(): void;
  /**
   * Called once per request, after it ends (forwarded or faulted). A forwarded UploadPart's event fires
   * as soon as the target's response status arrives, before the response is relayed, so a runner can
   * kill the worker right after a part landed and before the worker learns it did.
   */
  onEvent(listener: (e: ProxyEvent) => void): () => void;
  stats(): FaultProxyStats;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The S3 service, e.g. http://127.0.0.1:8333; loopback only. */
  target: string;
  /** 0 or absent: an ephemeral port. */
  port?: number;
  /** Seed of the dice; the same seed gives the same fault sequence. Default 1. */
  seed?: number;
}

// ---- classification --------------------------------------------------------------------------------

// Query parameters that do not name a sub-resource: the SDK's operation hint, versions, response header
// overrides and presigned-URL auth. Anything else on an object or bucket URL (acl, tagging, versions,
// location, delete, ...) is an operation this proxy does not tell apart.
const PLAIN_OBJECT_PARAMS = new Set(['x-id', 'versionid', 'partnumber']);
const LIST_OBJECTS_PARAMS = new Set([
  'x-id',
  'list-type',
  'prefix',
  'delimiter',
  'marker',
  'max-keys',
  'continuation-token',
  'start-after',
  'encoding-type',
  'fetch-owner',
]);

function isAuthOrOverride(name: string): boolean {
  return name.startsWith('x-amz-') || name.startsWith('response-') || name === 'awsaccesskeyid' || name === 'signature' || name === 'expires';
}

function onlyParams(query: URLSearchParams, allowed: Set<string>): boolean {
  for (const name of query.keys()) {
    const n = name.toLowerCase();
    if (!allowed.has(n) && !isAuthOrOverride(n)) return false;
  }
  return true;
}

/** The S3 operation of a path-style request (`/bucket/key?...`), from its method, path and query. */
export function classifyS3Request(method: string, path: string, query: URLSearchParams): S3Op {
  const m = method.toUpperCase();
  const rest = path.replace(/^\/+/, '');
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const hasKey = slash >= 0 && slash < rest.length - 1;
  if (!bucket) return 'Other';

  if (hasKey && query.has('uploadId')) {
    if (m === 'PUT' && query.has('partNumber')) return 'UploadPart';
    if (m === 'POST') return 'CompleteMultipartUpload';
    if (m === 'DELETE') return 'AbortMultipartUpload';
    if (m === 'GET') return 'ListParts';
    return 'Other';
  }
  if (query.has('uploads')) {
    if (hasKey && m === 'POST') return 'CreateMultipartUpload';
    if (!hasKey && m === 'GET') return 'ListMultipartUploads';
    return 'Other';
  }
  if (!hasKey) return m === 'GET' && onlyParams(query, LIST_OBJECTS_PARAMS) ? 'ListObjects' : 'Other';
  if (!onlyParams(query, PLAIN_OBJECT_PARAMS)) return 'Other';
  switch (m) {
    case 'PUT':
      return 'PutObject';
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return 'DeleteObject';
    default:
      return 'Other';
  }
}

// ---- dice --------------------------------------------------------------------------------------------

/** The project's seeded PRNG (mulberry32, as the demo data uses): the same seed, the same faults. */
export const seededRandom = rng;

// ---- pacing ------------------------------------------------------------------------------------------

/** Passes bytes through at most `bytesPerSecond`, in slices small enough that the pace is smooth. */
function throttleStream(bytesPerSecond: number): Transform {
  const slice = Math.max(1, Math.floor(bytesPerSecond / 20));
  const start = Date.now();
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      void (async () => {
        for (let off = 0; off < chunk.length; off += slice) {
          const piece = chunk.subarray(off, off + slice);
          sent += piece.length;
          const due = start + (sent / bytesPerSecond) * 1000;
          const wait = due - Date.now();
          if (wait > 0) await sleep(wait);
          this.push(piece);
        }
      })().then(() => done(), done);
    },
  });
}

// ---- the proxy ---------------------------------------------------------------------------------------

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function s3ErrorBody(code: string, path: string): string {
  const message = code === 'SlowDown' ? 'Please reduce your request rate.' : 'We encountered an internal error. Please try again.';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${path.replace(/[<>&]/g, '')}</Resource><RequestId>fault-proxy</RequestId></Error>`;
}

function noFaults(): Record<FaultType, number> {
  return { status: 0, reset: 0, truncate: 0, stall: 0, 'drop-response': 0, throttle: 0 };
}

interface ActiveRule {
  rule: FaultRule;
  applied: number;
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(opts.target);
  if (target.protocol !== 'http:' || !LOOPBACK.has(target.hostname)) throw new Error(`fault proxy: the target must be http on loopback, got ${opts.target}`);
  const targetPort = Number(target.port || 80);
  const agent = new Agent({ keepAlive: true });
  const dice = seededRandom(opts.seed ?? 1);
  const listeners = new Set<(e: ProxyEvent) => void>();
  const timers = new Set<AbortController>();
  let rules: ActiveRule[] = [];
  const counters = { requests: 0, connections: 0, faults: noFaults(), byOp: {} as Partial<Record<S3Op, number>> };

  function pickFault(op: S3Op): FaultAction | null {
    for (const r of rules) {
      if (r.rule.ops && !r.rule.ops.includes(op)) continue;
      if (r.rule.times !== undefined && r.applied >= r.rule.times) continue;
      const p = r.rule.probability ?? 1;
      // Certain outcomes take no roll, so adding an always-on rule does not shift the dice of the others.
      if (p <= 0) continue;
      if (p < 1 && dice() >= p) continue;
      r.applied++;
      return r.rule.action;
    }
    return null;
  }

  function emit(e: ProxyEvent): void {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        process.emitWarning(`fault proxy: an onEvent listener threw: ${String(err)}`);
      }
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
    const requestTarget = req.url ?? '/';
    const q = requestTarget.indexOf('?');
    const rawPath = q < 0 ? requestTarget : requestTarget.slice(0, q);
    const rawQuery = q < 0 ? '' : requestTarget.slice(q + 1);
    const op = classifyS3Request(req.method ?? 'GET', rawPath, new URLSearchParams(rawQuery));
    const action = pickFault(op);
    const socket = req.socket;
    counters.requests++;
    counters.byOp[op] = (counters.byOp[op] ?? 0) + 1;
    if (action) counters.faults[action.type]++;

    const event: ProxyEvent = {
      op,
      method: req.method ?? '',
      path: rawPath,
      query: rawQuery,
      fault: action?.type ?? null,
      status: null,
      startedAt: Date.now(),
      endedAt: 0,
      bytesIn: 0,
      bytesOut: 0,
      expectContinue,
    };
    let emitted = false;
    const finish = () => {
      if (emitted) return;
      emitted = true;
      event.endedAt = Date.now();
      emit(event);
    };
    // Body bytes are counted where the body is consumed: a 'data' listener here would start the flow
    // before a stalled request is forwarded, and the bytes would be lost.
    const countIn = (chunk: Buffer) => (event.bytesIn += chunk.length);
    res.on('close', finish);

    switch (action?.type) {
      case 'status': {
        // The body is read and dropped first so the connection stays usable for the client's retry.
        if (expectContinue) res.writeContinue();
        req.on('data', countIn);
        req.on('end', () => {
          const body = s3ErrorBody(action.code, rawPath);
          res.writeHead(action.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
          event.bytesOut = Buffer.byteLength(body);
          res.end(req.method === 'HEAD' ? undefined : body);
        });
        return;
      }
      case 'reset':
        socket.resetAndDestroy();
        return;
      case 'stall': {
        const ac = new AbortController();
        timers.add(ac);
        sleep(action.ms, undefined, { signal: ac.signal }).then(
          () => {
            timers.delete(ac);
            if (!socket.destroyed) forward(req, res, event, action, expectContinue, finish, countIn);
          },
          () => socket.destroy(),
        );
        return;
      }
      default:
        forward(req, res, event, action, expectContinue, finish, countIn);
    }
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    event: ProxyEvent,
    action: FaultAction | null,
    expectContinue: boolean,
    finish: () => void,
    countIn: (chunk: Buffer) => void,
  ): void {
    const socket = req.socket;
    const upstream: ClientRequest = httpRequest({
      host: target.hostname,
      port: targetPort,
      method: req.method,
      path: req.url,
      // The raw header list as received: same names, values and order, Host and Expect included.
      headers: req.rawHeaders,
      agent,
    });
    if (expectContinue) upstream.on('continue', () => res.writeContinue());
    const throttle = action?.type === 'throttle' ? action.bytesPerSecond : null;

    // Registered before the pipeline, whose own error handling may destroy the client socket.
    upstream.on('error', () => {
      // The target failed or the client went away: answer 502 while nothing was sent, else cut the connection.
      if (!res.headersSent && !socket.destroyed) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('fault proxy: upstream request failed');
      } else socket.destroy();
    });
    // pipeline destroys every stream on a failure; nothing is left to do in its callback.
    const settled = () => undefined;
    req.on('data', countIn);
    if (throttle) pipeline(req, throttleStream(throttle), upstream, settled);
    else pipeline(req, upstream, settled);

    upstream.on('response', (up: IncomingMessage) => {
      event.status = up.statusCode ?? null;
      if (event.op === 'UploadPart') finish();
      // The client may be gone already (a worker killed as its part landed): drain the answer, relay nothing.
      if (res.destroyed || socket.destroyed) {
        up.resume();
        return;
      }

      if (action?.type === 'drop-response') {
        up.resume();
        up.on('end', () => socket.resetAndDestroy());
        up.on('error', () => socket.resetAndDestroy());
        return;
      }
      if (action?.type === 'truncate') {
        truncate(up, res, socket, event);
        return;
      }
      res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
      up.on('data', (chunk: Buffer) => (event.bytesOut += chunk.length));
      const relayed = (err?: Error | null) => {
        if (err) socket.destroy();
      };
      if (throttle) pipeline(up, throttleStream(throttle), res, relayed);
      else pipeline(up, res, relayed);
    });
  }

  function truncate(up: IncomingMessage, res: ServerResponse, socket: Socket, event: ProxyEvent): void {
    const length = Number(up.headers['content-length'] ?? NaN);
    const chunked = /chunked/i.test(up.headers['transfer-encoding'] ?? '');
    const hasBody = event.method !== 'HEAD' && up.statusCode !== 204 && up.statusCode !== 304 && (chunked || length !== 0);
    if (!hasBody) {
      // No body to cut: cut the header block instead (status line and the first header, no blank line).
      up.resume();
      const first = up.rawHeaders.length >= 2 ? `${up.rawHeaders[0]}: ${up.rawHeaders[1]}\r\n` : '';
      socket.write(`HTTP/1.1 ${up.statusCode} ${up.statusMessage ?? ''}\r\n${first}`, () => socket.destroy());
      return;
    }
    res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
    // Half of the announced body, or half of the first chunk when the length is not announced.
    let budget = Number.isNaN(length) ? -1 : Math.floor(length / 2);
    up.on('data', (chunk: Buffer) => {
      if (socket.destroyed) return;
      if (budget < 0) budget = Math.floor(chunk.length / 2);
      const piece = chunk.subarray(0, budget);
      budget -= piece.length;
      event.bytesOut += piece.length;
      if (budget > 0) {
        if (!res.write(piece)) {
          up.pause();
          res.once('drain', () => up.resume());
        }
        return;
      }
      up.destroy();
      if (piece.length) res.write(piece, () => socket.destroy());
      else socket.destroy();
    });
    up.on('end', () => socket.destroy());
  }

  const server = createServer({ keepAlive: true });
  server.on('connection', () => counters.connections++);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => handle(req, res, false));
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => handle(req, res, true));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setRules(next) {
      rules = next.map((rule) => ({ rule, applied: 0 }));
    },
    clearRules() {
      rules = [];
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stats() {
      return { requests: counters.requests, connections: counters.connections, faults: { ...counters.faults }, byOp: { ...counters.byOp } };
    },
    async close() {
      for (const ac of timers) ac.abort();
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
