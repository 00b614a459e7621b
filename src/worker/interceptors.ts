import { CancelledFailure, type Context } from '@temporalio/activity';
import type { Next } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { activityAttempts, activityRetries } from '../metrics/activity-metrics.js';

/** Counts every activity attempt and retry in one place, so no activity has to remember to. */
export class ActivityMetricsInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { activityType: activity, attempt } = this.ctx.info;
    if (attempt > 1) activityRetries.inc({ activity });
    try {
      const result = await next(input);
      activityAttempts.inc({ activity, outcome: 'succeeded' });
      return result;
    } catch (err) {
      activityAttempts.inc({ activity, outcome: err instanceof CancelledFailure || this.ctx.cancellationSignal.aborted ? 'cancelled' : 'failed' });
      throw err;
    }
  }
}

export const activityMetricsInterceptor: ActivityInterceptorsFactory = (ctx) => ({ inbound: new ActivityMetricsInterceptor(ctx) });
