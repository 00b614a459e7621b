import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { activityAttempts, activityRetries } from '../../src/metrics/activity-metrics.js';
import { registry } from '../../src/metrics/export-metrics.js';
import { activityMetricsInterceptor } from '../../src/worker/interceptors.js';

const quiet = new DefaultLogger('ERROR');
const env = (activityType: string, attempt: number) =>
  new MockActivityEnvironment({ activityType, attempt }, { logger: quiet, interceptors: [activityMetricsInterceptor] });

async function value(counter: typeof activityAttempts | typeof activityRetries, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k as keyof typeof v.labels] === l))?.value ?? 0;
}

describe('activity metrics interceptor', () => {
  it('counts a failed first attempt, then the retry that succeeds', async () => {
    const activity = 'flakyOnce';
    let calls = 0;
    const flaky = async (): Promise<string> => {
      calls++;
      if (calls === 1) throw new Error('503 SlowDown');
      return 'ok';
    };
    await expect(env(activity, 1).run(flaky)).rejects.toThrow('503 SlowDown');
    expect(await value(activityAttempts, { activity, outcome: 'failed' })).toBe(1);
    expect(await value(activityRetries, { activity })).toBe(0);

    await expect(env(activity, 2).run(flaky)).resolves.toBe('ok');
    expect(await value(activityRetries, { activity })).toBe(1);
    expect(await value(activityAttempts, { activity, outcome: 'succeeded' })).toBe(1);
    expect(await value(activityAttempts, { activity, outcome: 'failed' })).toBe(1);
    expect(await registry.metrics()).toMatch(/^ua_export_activity_retries_total\{activity="flakyOnce"\} 1$/m);
  });

  it('counts an attempt ended by cancellation as cancelled, not failed', async () => {
    const activity = 'cancelledOne';
    const e = env(activity, 3);
    const run = e.run(async () => {
      await new Promise<never>((_resolve, reject) => {
        // What a cancellable activity does: give up when its signal aborts.
        e.context.cancellationSignal.addEventListener('abort', () => reject(new Error('aborted')));
      });
    });
    e.cancel();
    await expect(run).rejects.toThrow();
    expect(await value(activityAttempts, { activity, outcome: 'cancelled' })).toBe(1);
    expect(await value(activityAttempts, { activity, outcome: 'failed' })).toBe(0);
    expect(await value(activityRetries, { activity })).toBe(1);
  });
});
