import { describe, expect, it } from 'vitest';
import { isTemporalUnavailable, withTemporalDeadline } from '../../src/temporal/errors.js';

/** A client whose call fails with `code` after `afterMs`, wrapped the way the SDK wraps gRPC errors. */
const failing = (code: number, afterMs: number) => ({
  withDeadline: async <R>(_deadline: number, _fn: () => Promise<R>): Promise<R> => {
    await new Promise((r) => setTimeout(r, afterMs));
    throw Object.assign(new Error('Failed to query Workflow'), { name: 'ServiceError', cause: Object.assign(new Error('Call cancelled'), { code }) });
  },
});

describe('withTemporalDeadline', () => {
  it('reports a call cancelled at its deadline as the timeout it is (503, not 500)', async () => {
    const err = await withTemporalDeadline(failing(1, 60), 50, async () => 'never').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 4, message: 'Temporal did not answer within 50 ms' });
    expect(isTemporalUnavailable(err)).toBe(true);
  });

  it('leaves a cancellation before the deadline, and any other error, as they were', async () => {
    const early = await withTemporalDeadline(failing(1, 0), 5_000, async () => 'never').catch((e: unknown) => e);
    expect(early).toMatchObject({ name: 'ServiceError' });
    expect(isTemporalUnavailable(early)).toBe(false);
    const other = await withTemporalDeadline(failing(9, 60), 50, async () => 'never').catch((e: unknown) => e);
    expect(other).toMatchObject({ name: 'ServiceError' });
    expect(isTemporalUnavailable(other)).toBe(false);
  });

  it('passes results through', async () => {
    const client = { withDeadline: <R>(_d: number, fn: () => Promise<R>) => fn() };
    await expect(withTemporalDeadline(client, 1_000, async () => 42)).resolves.toBe(42);
  });
});
