import http from 'node:http';
import https from 'node:https';

export interface HttpRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /**
   * The whole exchange: connect, send, the status line and headers, and the body when it is read. An
   * unread body is drained within the same time after the answer, then dropped.
   */
  timeoutMs: number;
  /** Read the answer's body, up to this many bytes (a larger one rejects with BodyTooLargeError); absent: discard it. */
  maxBodyBytes?: number;
}

export interface HttpAnswer {
  status: number;
  /** The body as received when `maxBodyBytes` was given, else null. */
  body: Buffer | null;
}

/** Rejects a request whose answer did not come within its timeout. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** Rejects a request whose answer's body outgrew `maxBodyBytes`; the rest is not read. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** What callers inject in tests: the signature of httpRequest. */
export type HttpClient = (url: string, req: HttpRequest) => Promise<HttpAnswer>;

/**
 * One HTTP(S) exchange with node:http(s): redirects are not followed (node:http never follows them);
 * a failure to connect or send rejects with the system's error (its `code`, e.g. ECONNREFUSED).
 *
 * The worker's own HTTP calls (the SDK runtime's metrics page, alert webhooks) use this, not fetch:
 * fetch parses HTTP with undici's llhttp, a WebAssembly module that V8 compiles to optimised code once
 * a few calls have made it hot, and that compile lifts a worker's resident memory for good
 * (docs/BENCHMARKS.md, "What a metrics scrape cost"; `npm run bench:http-clients`). node:http parses
 * with the llhttp compiled into Node itself.
 */
export const httpRequest: HttpClient = (url, { method, headers = {}, body, timeoutMs, maxBodyBytes }) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const sendHeaders = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const req = client.request(target, { method, headers: sendHeaders }, (res) => {
      const status = res.statusCode ?? 0;
      res.on('error', (err) => settle(() => reject(err)));
      if (maxBodyBytes === undefined) {
        // Only the status matters: drain the body so the socket is freed, and drop it if it drips.
        res.resume();
        const drain = setTimeout(() => res.destroy(), timeoutMs);
        res.on('close', () => clearTimeout(drain));
        settle(() => resolve({ status, body: null }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          settle(() => reject(new BodyTooLargeError(`answer larger than ${maxBodyBytes} bytes`)));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => settle(() => resolve({ status, body: Buffer.concat(chunks) })));
    });
    const timer = setTimeout(() => {
      settle(() => reject(new TimeoutError(`no answer within ${timeoutMs} ms`)));
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => settle(() => reject(err)));
    req.end(body);
  });
