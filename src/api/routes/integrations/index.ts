import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BAD_CURSOR, decodeListCursor, encodeListCursor } from '../../../integrations/list-cursor.js';
import { getIntegration, listIntegrationsPage, loadStorageConfig } from '../../../integrations/repo.js';
import { createIntegrationWithSchedule, deleteIntegrationSafely, updateIntegrationWithSchedule } from '../../../integrations/service.js';
import { testConnection } from '../../../integrations/test-connection.js';
import type { OutputFormat } from '../../../export/formats/format.js';
import type { Integration } from '../../../integrations/repo.js';
import { endpointProblems, integrationFieldProblems, outputFormatOf, type Problem } from '../../../integrations/validation.js';
import type { ApiContext } from '../../context.js';
import { conflict, validationFailed } from '../../errors.js';
import { readScheduleStates } from '../../lib/schedule-states.js';
import { integrationView, readScheduleState } from '../../lib/views.js';
import { errors, IntegrationParams, security } from '../../schemas/common.js';
import {
  CreateIntegrationBody,
  DeleteIntegrationResponse,
  Integration as IntegrationSchema,
  INTEGRATION_PAGE_DEFAULT,
  IntegrationList,
  IntegrationListQuery,
  PatchIntegrationBody,
  TestConnectionResponse,
} from '../../schemas/integrations.js';

const tags = ['integrations'];

async function checkInput(
  ua: ApiContext,
  input: {
    endpointUrl?: string;
    bucket?: string;
    folder?: string;
    settings?: CreateIntegrationBody['settings'];
    alerts?: CreateIntegrationBody['alerts'];
    format?: string;
    compression?: string;
  },
  before?: Integration,
): Promise<{ output?: OutputFormat }> {
  const problems: Problem[] = integrationFieldProblems({
    ...(input.bucket !== undefined ? { bucket: input.bucket } : {}),
    ...(input.folder !== undefined ? { folder: input.folder } : {}),
    ...(input.settings !== undefined ? { settings: input.settings } : {}),
  });
  if (input.endpointUrl !== undefined) problems.push(...(await endpointProblems(input.endpointUrl, ua.endpointPolicy)));
  // Issue 12: the webhook gets the same endpoint policy as the storage endpoint.
  if (input.alerts) problems.push(...(await endpointProblems(input.alerts.webhookUrl, ua.endpointPolicy, 'alerts.webhookUrl')));
  // ---- file format (issue 10): judged against the stored format on PATCH (compression alone needs it)
  const formatGiven = input.format !== undefined || input.compression !== undefined;
  const output = formatGiven
    ? outputFormatOf(
        { ...(input.format !== undefined ? { format: input.format } : {}), ...(input.compression !== undefined ? { compression: input.compression } : {}) },
        before,
      )
    : null;
  if (output) problems.push(...output.problems);
  if (problems.length > 0) throw validationFailed(problems);
  return output ? { output: output.value } : {};
}

const integrations: FastifyPluginAsyncTypebox = async (app) => {
  const ua = app.ua;

  app.post(
    '',
    {
      schema: {
        tags,
        security,
        summary: 'Create an integration and its daily schedule',
        description:
          'Validates everything first (bucket naming, endpoint URL and the addresses it resolves to, event types), then stores the integration (secret encrypted) and creates its Temporal schedule, paused when `enabled` is false. If the schedule cannot be created nothing is stored (503).',
        body: CreateIntegrationBody,
        response: { 201: IntegrationSchema, ...errors(400, 413) },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const { output } = await checkInput(ua, body);
      const created = await createIntegrationWithSchedule(ua, {
        appId: body.appId,
        endpointUrl: body.endpointUrl,
        bucket: body.bucket,
        accessKeyId: body.accessKeyId,
        secretAccessKey: body.secretAccessKey,
        enabled: body.enabled ?? true,
        ...(body.region !== undefined ? { region: body.region } : {}),
        ...(body.folder !== undefined ? { folder: body.folder } : {}),
        ...(body.forcePathStyle !== undefined ? { forcePathStyle: body.forcePathStyle } : {}),
        ...(body.settings !== undefined ? { settings: body.settings } : {}),
        // issue 12
        ...(body.alerts != null ? { alerts: body.alerts } : {}),
        ...(body.lookbackDays !== undefined ? { lookbackDays: body.lookbackDays } : {}),
        ...(body.autoPauseAfterFailedDays !== undefined ? { autoPauseAfterFailedDays: body.autoPauseAfterFailedDays } : {}),
        ...(output ? { output } : {}),
      });
      const schedule = await readScheduleState(ua, created.id, { bestEffort: true });
      return reply.code(201).header('location', `/v1/integrations/${created.id}`).send(integrationView(created, schedule));
    },
  );

  app.get(
    '',
    {
      schema: {
        tags,
        security,
        summary: 'List integrations, a page at a time',
        description: [
          'Newest first, `limit` per page (default 50, at most 200). When `nextCursor` is not null, pass it as `cursor` to read the next page; integrations created or deleted while you page never make a later page repeat or skip one.',
          '',
          "Each with its schedule state, read for the whole page in one request from Temporal's visibility store: it can trail a pause or resume made a moment ago by a few seconds (GET /v1/integrations/:id reads it directly). `schedule` is null when Temporal cannot be reached (or the schedule is missing).",
        ].join('\n'),
        querystring: IntegrationListQuery,
        response: { 200: IntegrationList, ...errors(400) },
      },
    },
    async (req) => {
      const after = req.query.cursor === undefined ? null : decodeListCursor(req.query.cursor);
      if (req.query.cursor !== undefined && after === null) throw validationFailed([BAD_CURSOR]);
      const page = await listIntegrationsPage(ua.pool, { limit: req.query.limit ?? INTEGRATION_PAGE_DEFAULT, after });
      const schedules = await readScheduleStates(ua, page.integrations);
      return {
        integrations: page.integrations.map((i) => integrationView(i, schedules.get(i.id) ?? null)),
        nextCursor: page.next ? encodeListCursor(page.next) : null,
      };
    },
  );

  app.get(
    '/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Get an integration',
        params: IntegrationParams,
        response: { 200: IntegrationSchema, ...errors(404) },
      },
    },
    async (req) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      return integrationView(integration, await readScheduleState(ua, integration.id, { bestEffort: true }));
    },
  );

  app.patch(
    '/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Change an integration',
        description:
          'Partial update: only the fields sent change (settings merge field by field). Credentials can be replaced. The schedule follows: disabling pauses it, enabling resumes it. The row and the schedule change together or not at all (503 when Temporal cannot be reached).',
        params: IntegrationParams,
        body: PatchIntegrationBody,
        response: { 200: IntegrationSchema, ...errors(400, 404, 413) },
      },
    },
    async (req) => {
      const before = await getIntegration(ua.pool, req.params.id);
      const { format: _format, compression: _compression, ...body } = req.body;
      const { output } = await checkInput(ua, req.body, before);
      const updated = await updateIntegrationWithSchedule(ua, before, { ...body, ...(output ? { output } : {}) });
      return integrationView(updated, await readScheduleState(ua, updated.id, { bestEffort: true }));
    },
  );

  app.delete(
    '/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Delete an integration',
        description: [
          'Safe deletion, in this order:',
          '1. the integration is disabled and its schedule paused, so nothing new starts;',
          '2. every running export and backfill of the integration is cancelled, and the request waits for them to close: their in-flight multipart uploads are aborted (no partial file appears), files already completed stay in the bucket;',
          '3. the schedule and the integration (with its encrypted secret) are deleted. The export ledger keeps its rows for audit.',
          '',
          'If exports are still closing after the wait, the answer is 409 `exports_still_running` with the integration left disabled: repeat the DELETE shortly.',
        ].join('\n'),
        params: IntegrationParams,
        response: { 200: DeleteIntegrationResponse, ...errors(404, 409) },
      },
    },
    async (req) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      const outcome = await deleteIntegrationSafely(ua, integration, ua.deleteWaitMs);
      if (!outcome.deleted) {
        throw conflict(
          `cancellation was requested for ${outcome.stillRunning.join(', ')} but they have not closed yet (their uploads are being aborted); the integration is disabled; repeat the DELETE shortly`,
          'exports_still_running',
        );
      }
      const { cancelled } = outcome;
      req.log.info({ integrationId: integration.id, cancelled }, 'integration deleted');
      return { id: integration.id, deleted: true as const, cancelledWorkflows: cancelled };
    },
  );

  app.post(
    '/:id/test-connection',
    {
      schema: {
        tags,
        security,
        summary: 'Test the storage connection with a small probe',
        description:
          "Runs the export's real write path against the bucket: puts an object, creates a multipart upload, uploads one part, completes it, deletes both probe objects and aborts anything left open, all under `<bucket folders>/<folder>/_ua_export_probe/<uuid>/`. Each failed step says what to fix. When the writes pass, `partChecksum` says how an export's parts will prove their bytes to this provider (a CRC32 checksum over https or loopback, else a SHA-256 checksum, where the provider refuses a wrong one; else Content-MD5), found by a further probe under the same folder that removes what it wrote. Always 200; `ok` tells the outcome.",
        params: IntegrationParams,
        response: { 200: TestConnectionResponse, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { integration, storage } = await loadStorageConfig(ua.pool, ua.keyring, req.params.id);
      // The endpoint's addresses are checked again now: DNS may have changed since it was stored.
      const problems = await endpointProblems(integration.endpointUrl, ua.endpointPolicy);
      if (problems.length > 0) throw validationFailed(problems, `the integration's endpoint is not allowed: ${problems.map((p) => p.rule).join('; ')}`);
      const result = await testConnection(storage, { bucket: integration.bucket, folder: integration.folder }, { partChecksum: ua.env.PART_CHECKSUM });
      req.log.info({ integrationId: integration.id, ok: result.ok, failed: result.steps.filter((s) => !s.ok).map((s) => s.name) }, 'test-connection');
      return {
        ok: result.ok,
        endpoint: integration.endpointUrl,
        bucket: result.bucket,
        probePrefix: result.probePrefix,
        steps: result.steps,
        partChecksum: result.partChecksum,
      };
    },
  );
};

export default integrations;
