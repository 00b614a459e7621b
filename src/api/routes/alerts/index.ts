import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { deliverAlert } from '../../../alerts/deliver.js';
import { loadAlertTarget } from '../../../alerts/target.js';
import { getIntegration } from '../../../integrations/repo.js';
import { conflict } from '../../errors.js';
import { errors, IntegrationParams, security } from '../../schemas/common.js';
import { AlertTestResponse } from '../../schemas/integrations.js';
import { EmptyBody } from '../../schemas/schedule.js';

const tags = ['alerts'];

/** Issue 12: the alert webhook's test event, sent from the API right away (not through Temporal). */
const alerts: FastifyPluginAsyncTypebox = async (app) => {
  const ua = app.ua;
  app.addHook('preValidation', async (req) => {
    if (req.method === 'POST' && req.body === undefined) req.body = {};
  });

  app.post(
    '/test',
    {
      schema: {
        tags,
        security,
        summary: "Send a test event to the integration's alert webhook",
        description:
          'POSTs one `alert.test` event, signed like every event when the integration has an alert secret, and returns what the receiver answered. Always 200 when a webhook is configured (`delivered` tells the outcome); 409 when the integration has none.',
        params: IntegrationParams,
        body: EmptyBody,
        response: { 200: AlertTestResponse, ...errors(400, 404, 409) },
      },
    },
    async (req) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      const target = await loadAlertTarget(ua.pool, ua.keyring, integration.id);
      if (!target) throw conflict(`integration ${integration.id} has no alert webhook: set one with PATCH {"alerts": {"webhookUrl": …}}`);
      const eventId = `alert.test:${integration.id}:${randomUUID()}`;
      const now = ua.now();
      const result = await deliverAlert(
        target,
        {
          id: eventId,
          event: 'alert.test',
          occurredAt: now.toISOString(),
          integrationId: integration.id,
          appId: integration.appId,
          day: null,
          table: null,
          error: null,
          attempts: null,
          uiUrl: null,
        },
        now.getTime(),
      );
      req.log.info({ integrationId: integration.id, status: result.status, delivered: result.ok }, 'alert test');
      return { delivered: result.ok, status: result.status, error: result.error, eventId, durationMs: result.durationMs };
    },
  );
};

export default alerts;
