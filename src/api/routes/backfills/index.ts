import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  assertBackfillOf,
  BackfillClosed,
  BackfillNotFound,
  cancelBackfill,
  listBackfills,
  readBackfill,
  setBackfillPaused,
  startBackfill,
} from '../../../backfills/service.js';
import { utcDayOf } from '../../../export/days.js';
import { getIntegration } from '../../../integrations/repo.js';
import { concurrencyProblems, dayRangeProblems } from '../../../integrations/validation.js';
import { conflict, validationFailed } from '../../errors.js';
import { parseBackfillWorkflowId } from '../../../temporal/ids.js';
import { workflowUiUrl } from '../../../temporal/links.js';
import { isRunning, runStatus } from '../../../temporal/status.js';
import { errors, IntegrationParams, security } from '../../schemas/common.js';
import { EmptyBody } from '../../schemas/schedule.js';
import {
  Backfill,
  BackfillList,
  BackfillListQuery,
  BackfillParams,
  BackfillStarted,
  CancelBackfillResponse,
  PauseBackfillResponse,
  StartBackfillBody,
} from '../../schemas/backfills.js';

const tags = ['backfills'];
const backfills: FastifyPluginAsyncTypebox = async (app) => {
  const ua = app.ua;
  const uiUrl = (workflowId: string) => workflowUiUrl(ua.env.TEMPORAL_UI_URL, ua.env.TEMPORAL_NAMESPACE, workflowId);

  app.post(
    '',
    {
      schema: {
        tags,
        security,
        summary: 'Backfill a range of past days',
        description:
          'Exports every day from `from` to `to` (inclusive, UTC) with the same per-day workflow as the daily schedule, one child workflow per day, `concurrency` at a time; a day that is being exported by another run waits for it. Starting the same range and tables again while it runs returns the running backfill. Progress: GET …/backfills/:backfillId, or the workflow in the Temporal UI (`uiUrl`).',
        params: IntegrationParams,
        body: StartBackfillBody,
        response: { 202: BackfillStarted, ...errors(400, 404, 409, 413) },
      },
    },
    async (req, reply) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      const { from, to, tables, concurrency } = req.body;
      const problems = [
        ...dayRangeProblems(from, to, { today: utcDayOf(ua.now()), maxDays: ua.env.BACKFILL_MAX_DAYS, completeDaysOnly: true }),
        ...concurrencyProblems(concurrency, ua.env.BACKFILL_MAX_CONCURRENCY),
      ];
      if (problems.length > 0) throw validationFailed(problems);
      if (!integration.enabled) throw conflict(`integration ${integration.id} is disabled: enable it (PATCH {"enabled": true}) before backfilling`);
      const started = await ua.temporal(() =>
        startBackfill(ua.client, {
          integrationId: integration.id,
          from,
          to,
          ...(tables ? { tables } : {}),
          concurrency: concurrency ?? Math.min(ua.env.BACKFILL_DEFAULT_CONCURRENCY, ua.env.BACKFILL_MAX_CONCURRENCY),
          taskQueue: ua.taskQueue,
          uiUrl: ua.env.TEMPORAL_UI_URL,
          namespace: ua.env.TEMPORAL_NAMESPACE,
          alertsConfigured: integration.alerts !== null,
        }),
      );
      req.log.info({ integrationId: integration.id, backfillId: started.backfillId, runId: started.runId, from, to }, 'backfill started');
      return reply.code(202).send(started);
    },
  );

  app.get(
    '',
    {
      schema: {
        tags,
        security,
        summary: 'Recent backfills of an integration, newest first',
        params: IntegrationParams,
        querystring: BackfillListQuery,
        response: { 200: BackfillList, ...errors(400, 404) },
      },
    },
    async (req) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      const limit = req.query.limit ?? 20;
      const runs = await ua.temporal(() => listBackfills(ua.client, integration.id, limit * 3));
      // Continue-as-new makes one backfill several runs: show it once, with its newest run.
      const byId = new Map<string, (typeof runs)[number] & { firstStartedAt: string }>();
      for (const r of runs) {
        const seen = byId.get(r.backfillId);
        if (!seen) byId.set(r.backfillId, { ...r, firstStartedAt: r.startedAt });
        else if (r.startedAt < seen.firstStartedAt) seen.firstStartedAt = r.startedAt;
      }
      const list = [...byId.values()]
        .sort((a, b) => b.firstStartedAt.localeCompare(a.firstStartedAt))
        .slice(0, limit)
        .map((r) => {
          const parts = parseBackfillWorkflowId(r.backfillId);
          return {
            backfillId: r.backfillId,
            runId: r.runId,
            status: runStatus(r.status),
            from: parts ? parts.from : null,
            to: parts ? parts.to : null,
            startedAt: r.firstStartedAt,
            finishedAt: r.finishedAt,
            uiUrl: uiUrl(r.backfillId),
          };
        });
      return { backfills: list };
    },
  );

  app.get(
    '/:backfillId',
    {
      schema: {
        tags,
        security,
        summary: "A backfill's status and progress, and whether a worker polls its task queue",
        description:
          'Status from Temporal; progress from the live workflow when a worker polls the task queue, from the result once the backfill completed, else from the ledger (`progressSource`). While no worker polls, this still answers 200 with `worker.polling: false`, at once.',
        params: BackfillParams,
        response: { 200: Backfill, ...errors(404) },
      },
    },
    async (req) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      const read = () =>
        ua.temporal(() =>
          readBackfill(
            { client: ua.client, pool: ua.pool, workers: () => ua.workers.get(), queryTimeoutMs: ua.progressQueryTimeoutMs },
            integration.id,
            req.params.backfillId,
          ),
        );
      let p = await read();
      // Closed between the service's describe and its query: read again for the close time.
      if (p.status !== 'running' && p.finishedAt === null) p = await read();
      // A status is final only once the workflow has closed: a cancelled backfill first waits for its
      // in-flight days to abort their uploads, and until then it is still running (cancelling).
      const open = p.finishedAt === null;
      return {
        backfillId: p.workflowId,
        workflowId: p.workflowId,
        runId: p.runId,
        status: open ? ('running' as const) : p.status,
        cancelling: open && p.status === 'cancelled',
        from: p.from,
        to: p.to,
        tables: p.tables,
        concurrency: p.concurrency,
        totalDays: p.totalDays,
        completedDays: p.completedDays,
        failedDays: p.failedDays,
        inProgressDays: p.inProgressDays,
        paused: open ? p.paused : false,
        rows: p.rows,
        bytes: p.bytes,
        startedAt: p.startedAt,
        finishedAt: p.finishedAt,
        error: p.error,
        uiUrl: uiUrl(p.workflowId),
        progressSource: p.progressSource,
        worker: p.worker,
      };
    },
  );

  app.delete(
    '/:backfillId',
    {
      schema: {
        tags,
        security,
        summary: 'Cancel a backfill',
        description:
          'Requests cancellation and answers 202 at once. Days in flight are cancelled: their multipart uploads are aborted, so no partial file ever appears; files (and manifests) already completed stay. Poll GET …/backfills/:backfillId until `status` is `cancelled`. 409 when the backfill already finished.',
        params: BackfillParams,
        response: { 202: CancelBackfillResponse, ...errors(404, 409) },
      },
    },
    async (req, reply) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      const { backfillId } = req.params;
      assertBackfillOf(integration.id, backfillId);
      const description = await ua
        .temporal(() => ua.client.workflow.getHandle(backfillId).describe())
        .catch((err) => {
          if (err instanceof WorkflowNotFoundError) throw new BackfillNotFound(`backfill ${backfillId} does not exist`);
          throw err;
        });
      if (!isRunning(description.status.name)) throw conflict(`backfill ${backfillId} already finished (${runStatus(description.status.name)})`);
      await ua.temporal(() => cancelBackfill(ua.client, integration.id, backfillId));
      req.log.info({ integrationId: integration.id, backfillId }, 'backfill cancellation requested');
      return reply.code(202).send({
        backfillId,
        status: 'cancelling' as const,
        message: 'cancellation requested: in-flight days abort their uploads; completed days stay. Poll GET …/backfills/:backfillId for status "cancelled".',
      });
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    const pause = action === 'pause';
    app.post(
      `/:backfillId/${action}`,
      {
        // No fields: a request without a body means `{}`, as for the schedule's pause and resume.
        preValidation: async (req) => {
          if (req.body === undefined) req.body = {};
        },
        schema: {
          tags,
          security,
          summary: pause ? 'Pause a backfill: no new day starts, its place is kept' : 'Resume a paused backfill from where it stopped',
          description: pause
            ? 'Answers 202 at once. The backfill starts no new day until resumed; days already running finish (their files complete as usual). Its place is kept, also across continue-as-new, so resuming goes on with the next day not yet started. `paused` in GET …/backfills/:backfillId shows it once the workflow has applied it. Pausing a paused backfill changes nothing. 409 when the backfill already finished.'
            : 'Answers 202 at once. The backfill starts days again from the first one not yet started, `concurrency` at a time. Resuming a backfill that is not paused changes nothing. 409 when the backfill already finished.',
          params: BackfillParams,
          body: EmptyBody,
          response: { 202: PauseBackfillResponse, ...errors(400, 404, 409) },
        },
      },
      async (req, reply) => {
        const integration = await getIntegration(ua.pool, req.params.id);
        const { backfillId } = req.params;
        const { runId } = await ua
          .temporal(() => setBackfillPaused(ua.client, integration.id, backfillId, pause))
          .catch((err) => {
            if (err instanceof BackfillClosed) throw conflict(err.message, 'backfill_finished');
            throw err;
          });
        req.log.info({ integrationId: integration.id, backfillId, runId }, pause ? 'backfill pause requested' : 'backfill resume requested');
        return reply.code(202).send({
          backfillId,
          runId,
          paused: pause,
          message: pause
            ? 'pause requested: no new day starts; days already running finish. Resume with POST …/resume.'
            : 'resume requested: days start again from the first one not yet started.',
        });
      },
    );
  }
};

export default backfills;
