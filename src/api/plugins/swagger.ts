import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** The OpenAPI document, generated from the routes' TypeBox schemas: `/openapi.json`, Swagger UI at `/docs`. */
export default fp(
  async function openapi(app: FastifyInstance) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'ua-export API',
          version: '1.0.0',
          description: [
            "Exports mobile user-acquisition data (events and campaign metrics) into customers' S3-compatible buckets as daily CSV files, orchestrated by Temporal.",
            '',
            'Every `/v1` route needs `Authorization: Bearer <token>` (tokens come from `API_TOKENS`). Errors are `{ error, message, details: [{ field, rule }], requestId }`;',
            'bad input is a 400 `validation_failed` and nothing is started or stored; unknown ids are 404; a Temporal server that cannot be reached is a 503 `temporal_unavailable`.',
            'Secrets are write-only: `secretAccessKey` is never returned and `accessKeyId` is masked to its last 4 characters.',
          ].join('\n'),
        },
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
        tags: [
          { name: 'health', description: 'Liveness and readiness (no token needed)' },
          { name: 'event-types', description: 'Catalog of exportable event types' },
          { name: 'integrations', description: "Where and how an app's data is exported" },
          { name: 'backfills', description: 'Exporting a range of past days' },
          { name: 'schedule', description: 'The daily export schedule of an integration (a Temporal schedule)' },
          { name: 'exports', description: 'The export ledger: what was exported for each day and table' },
          // issue 12
          {
            name: 'alerts',
            description: [
              "Events POSTed to an integration's `alerts.webhookUrl`, at least once, each with an idempotency key (`id`, also the `X-UA-Export-Delivery` header):",
              '`export.failed` (a scheduled or re-delivered day failed for good: `day`, `table`, `error` saying what to fix, `attempts`, `tables`),',
              '`export.recovered` (the first scheduled success after failures), `integration.auto_paused` (`autoPaused: { sinceDay, failedDays, reason }`),',
              '`export.redelivered` (`redelivered: [{ table, rowsBefore, rowsAfter }]`), `export.repaired` (a day whose scheduled run never started, delivered by a later one: `missedRun: { scheduledAt }`), `backfill.completed` (`backfill: { backfillId, from, to, status, completedDays, failedDays }`) and `alert.test`.',
              'Every JSON body has `id, event, occurredAt, integrationId, appId, day, table, error, attempts, uiUrl` (Temporal UI link); never a secret.',
              'With `alerts.secret`: `X-UA-Export-Timestamp: <unix seconds>` and `X-UA-Export-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`.',
              '`format: "slack"` posts `{ text }` for a Slack incoming webhook instead.',
            ].join(' '),
          },
        ],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi' },
);
