import { httpRequest } from '../http/request.js';

/** More than any SDK runtime's metrics page: a larger answer is not a metrics page, and is dropped. */
const MAX_BYTES = 8 * 1024 * 1024;

/**
 * The Temporal SDK runtime's own Prometheus text (the Rust core serves it on `address`), or null when
 * it cannot be had within `timeoutMs`: not listening, an error status, too large, too slow. Read with
 * node:http (src/http/request.ts says why not fetch).
 */
export async function fetchSdkMetrics(address: string, timeoutMs: number): Promise<string | null> {
  try {
    const answer = await httpRequest(`http://${address}/metrics`, { method: 'GET', timeoutMs, maxBodyBytes: MAX_BYTES });
    return answer.status === 200 && answer.body ? answer.body.toString('utf8') : null;
  } catch {
    return null;
  }
}
