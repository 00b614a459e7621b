import http from 'node:http';
import https from 'node:https';

export interface PostRequest {
  headers: Record<string, string>;
  body: string;
  /** The whole exchange: connect, send, the answer's status line and headers. */
  timeoutMs: number;
}

/** Resolves with the receiver's status; rejects when no answer came (the error's `code` says why when the system gave one). */
export type HttpPost = (url: string, req: PostRequest) => Promise<{ status: number }>;

/** Raised when no answer came within the request's timeout. */
export class PostTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * One POST with node:http(s), redirects not followed (node:http never follows them), the answer's body
 * discarded. Not fetch: fetch parses HTTP with undici's llhttp, a WebAssembly module that V8 compiles to
 * optimised code once a few calls have made it hot, and that compile lifts a worker's resident memory
 * for good (docs/BENCHMARKS.md, "What a metrics scrape cost"); a worker that sends alerts would pay it
 * with the export's memory. node:http parses with the llhttp compiled into Node itself.
 */
export const httpPost: HttpPost = (url, { headers, body, timeoutMs }) =>
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
    const req = client.request(target, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      // Only the status matters; the body is drained so the socket is freed, and dropped if it drips.
      res.resume();
      res.on('error', () => undefined);
      const status = res.statusCode ?? 0;
      settle(() => resolve({ status }));
      const drain = setTimeout(() => res.destroy(), timeoutMs);
      res.on('close', () => clearTimeout(drain));
    });
    const timer = setTimeout(() => {
      settle(() => reject(new PostTimeoutError(`no answer within ${timeoutMs} ms`)));
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => settle(() => reject(err)));
    req.end(body);
  });
