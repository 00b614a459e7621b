import type { ScheduleDescription } from '@temporalio/client';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getIntegration, type Integration } from '../../../integrations/repo.js';
import { describeSchedule, pauseSchedule, recentScheduledRuns, resumeSchedule, triggerSchedule } from '../../../integrations/service.js';
import { scheduleId } from '../../../temporal/ids.js';
import { workflowUiUrl } from '../../../temporal/links.js';
import type { ApiContext } from '../../context.js';
import { conflict } from '../../errors.js';
import { scheduleUiUrl } from '../../lib/views.js';
import { errors, IntegrationParams, security } from '../../schemas/common.js';
import { EmptyBody, ResumeBody, ResumeResponse, Schedule, ScheduleNoteBody, TriggerResponse } from '../../schemas/schedule.js';
import { startBackfill } from '../../../backfills/service.js';
import { utcDayOf } from '../../../export/days.js';
import { planCatchUp } from '../../../ops/catch-up.js';
import { clearAutoPaused } from '../../../ops/scheduled-outcomes.js';
import { recentPauses } from '../../../ops/schedule-pauses.js';

const tags = ['schedule'];

async function scheduleView(ua: ApiContext, integration: Integration, d: ScheduleDescription) {
  const [recentRuns, pauses] = await Promise.all([recentScheduledRuns(ua, d), recentPauses(ua.pool, integration.id)]);
  return {
    scheduleId: scheduleId(integration.id),
    paused: d.state.paused,
    note: d.state.note ?? null,
    nextRunTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns,
    pauses,
    uiUrl: scheduleUiUrl(ua, integration.id),
  };
}

const schedule: FastifyPluginAsyncTypebox = async (app) => {
  const ua = app.ua;

  // pause / resume / trigger take an optional body: no body at all means `{}`.
  app.addHook('preValidation', async (req) => {
    if (req.method === 'POST' && req.body === undefined) req.body = {};
  });

  app.get(
    '',
    {
      schema: {
        tags,
        security,
        summary: 'The daily schedule: paused or not, its note, next and recent runs',
        description: 'Read from the Temporal schedule itself. Runs fire at 04:00 UTC and export the previous UTC day.',
        params: IntegrationParams,
        response: { 200: Schedule, ...errors(404) },
      },
    },
    async (req) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      return scheduleView(ua, integration, await describeSchedule(ua, integration));
    },
  );

  app.post(
    '/pause',
    {
      schema: {
        tags,
        security,
        summary: 'Pause the daily schedule',
        description:
          'Pauses the Temporal schedule with `note` (shown in the Temporal UI). Runs already started continue. Days whose run time passes while paused are skipped: resume with `catchUp: true` to deliver them. The pause is recorded, so a later run never takes those days for lost starts to repair.',
        params: IntegrationParams,
        body: ScheduleNoteBody,
        response: { 200: Schedule, ...errors(400, 404) },
      },
    },
    async (req) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      await pauseSchedule(ua, integration, req.body?.note ?? 'paused via API');
      req.log.info({ integrationId: integration.id }, 'schedule paused');
      return scheduleView(ua, integration, await describeSchedule(ua, integration));
    },
  );

  app.post(
    '/resume',
    {
      schema: {
        tags,
        security,
        summary: 'Resume the daily schedule',
        description:
          'Unpauses the Temporal schedule with `note` and ends an auto-pause. With `catchUp: true` it also starts one backfill of every day missed while paused or failing (`catchUp` in the answer links it; null when nothing was missed). 409 when the integration is disabled (enable it with PATCH instead).',
        params: IntegrationParams,
        body: ResumeBody,
        response: { 200: ResumeResponse, ...errors(400, 404, 409) },
      },
    },
    async (req) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      if (!integration.enabled)
        throw conflict(`integration ${integration.id} is disabled: enable it with PATCH {"enabled": true}, which also resumes the schedule`);
      await resumeSchedule(ua, integration, req.body?.note ?? (req.body?.catchUp ? 'resumed via API with catch-up' : 'resumed via API'));
      // Issue 12: the missed days come from the ledger, read before the auto-pause mark is cleared.
      const plan = req.body?.catchUp ? await planCatchUp(ua.pool, integration, utcDayOf(ua.now()), ua.env.BACKFILL_MAX_DAYS) : null;
      await clearAutoPaused(ua.pool, integration.id);
      const started = plan
        ? await ua.temporal(() =>
            startBackfill(ua.client, {
              integrationId: integration.id,
              from: plan.from,
              to: plan.to,
              concurrency: Math.min(ua.env.BACKFILL_DEFAULT_CONCURRENCY, ua.env.BACKFILL_MAX_CONCURRENCY),
              taskQueue: ua.taskQueue,
              uiUrl: ua.env.TEMPORAL_UI_URL,
              namespace: ua.env.TEMPORAL_NAMESPACE,
              alertsConfigured: integration.alerts !== null,
            }),
          )
        : null;
      req.log.info(
        { integrationId: integration.id, catchUp: plan ? { from: plan.from, to: plan.to, backfillId: started?.backfillId } : null },
        'schedule resumed',
      );
      const view = await scheduleView(ua, integration, await describeSchedule(ua, integration));
      return {
        ...view,
        catchUp:
          plan && started
            ? { backfillId: started.backfillId, from: plan.from, to: plan.to, missedDays: plan.missedDays, totalDays: started.totalDays, uiUrl: started.uiUrl }
            : null,
      };
    },
  );

  app.post(
    '/trigger',
    {
      schema: {
        tags,
        security,
        summary: 'Export the previous day now',
        description:
          'Triggers the schedule once, right now (also while it is paused): the run exports the previous UTC day, as a 04:00 run today would. If that day is being exported already, the run leaves it to the one in progress. 409 when the integration is disabled.',
        params: IntegrationParams,
        body: EmptyBody,
        response: { 202: TriggerResponse, ...errors(400, 404, 409) },
      },
    },
    async (req, reply) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      if (!integration.enabled) throw conflict(`integration ${integration.id} is disabled: enable it before triggering an export`);
      const triggered = await triggerSchedule(ua, integration, ua.now);
      req.log.info({ integrationId: integration.id, day: triggered.day }, 'schedule triggered');
      return reply.code(202).send({
        scheduleId: triggered.scheduleId,
        day: triggered.day,
        exportWorkflowId: triggered.exportWorkflowId,
        uiUrl: workflowUiUrl(ua.env.TEMPORAL_UI_URL, ua.env.TEMPORAL_NAMESPACE, triggered.exportWorkflowId),
      });
    },
  );
};

export default schedule;
