import type { Client } from '@temporalio/client';

/**
 * Classifying Temporal (gRPC) failures, and the per-request deadline. Framework-free: the API's error
 * handler maps these to HTTP, other callers may too.
 */

// gRPC status codes (grpc/doc/statuscodes.md).
export const GRPC_CANCELLED = 1;
export const GRPC_DEADLINE_EXCEEDED = 4;
export const GRPC_UNAVAILABLE = 14;

/** The gRPC status codes along an error's cause chain (the SDK wraps the transport's error). */
export function grpcCodes(err: unknown): unknown[] {
  const codes: unknown[] = [];
  let e: unknown = err;
  for (let i = 0; i < 6 && e && typeof e === 'object'; i++) {
    codes.push((e as { code?: unknown }).code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/** A Temporal call that failed because the server could not be reached (or did not answer in time). */
export function isTemporalUnavailable(err: unknown): boolean {
  return grpcCodes(err).some((code) => code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED);
}

/**
 * Runs Temporal calls under one deadline. grpc-js sometimes reports a call cut by its deadline as
 * CANCELLED instead of DEADLINE_EXCEEDED (seen on a workflow query with no worker: "Call cancelled"
 * right at the deadline), which would otherwise answer 500; past the deadline it is the timeout it is.
 */
export async function withTemporalDeadline<T>(client: Pick<Client, 'withDeadline'>, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  try {
    return await client.withDeadline(deadline, fn);
  } catch (err) {
    if (Date.now() >= deadline && grpcCodes(err).includes(GRPC_CANCELLED)) {
      throw Object.assign(new Error(`Temporal did not answer within ${timeoutMs} ms`, { cause: err }), { code: GRPC_DEADLINE_EXCEEDED });
    }
    throw err;
  }
}
