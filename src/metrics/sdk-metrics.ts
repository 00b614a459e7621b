import http from 'node:http';

/** More than any SDK runtime's metrics page: a larger answer is not a metrics page, and is dropped. */
const MAX_BYTES = 8 * 1024 * 1024;

/**
 * The Temporal SDK runtime's own Prometheus text (the Rust core serves it on `address`), or null when
 * it cannot be had within `timeoutMs`: not listening, an error status, too large, too slow.
 *
 * node:http, not fetch: fetch parses HTTP with undici's llhttp, a WebAssembly module, and V8 compiles
 * it to optimised code once a few scrapes have made it hot. That compile lifted the worker's resident
 * memory for good and its peak further, a cost a worker sized to its export's memory does not have
 * room for (docs/BENCHMARKS.md, "What a metrics scrape cost").
 */
export function fetchSdkMetrics(address: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (text: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(text);
    };
    const req = http.get(`http://${address}/metrics`, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        done(null);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BYTES) {
          req.destroy();
          done(null);
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
      res.on('error', () => done(null));
    });
    // The whole exchange, not just the connect: a server that answers slowly is as unavailable.
    const timer = setTimeout(() => {
      req.destroy();
      done(null);
    }, timeoutMs);
    req.on('error', () => done(null));
  });
}
