import { randomUUID } from 'node:crypto';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { createLogger } from '../logging.js';
import { buildContext, parseTokens, type ApiDeps } from './context.js';
import auth from './plugins/auth.js';
import errorHandler from './plugins/error-handler.js';
import swagger from './plugins/swagger.js';
import backfills from './routes/backfills/index.js';
import calendar from './routes/calendar/index.js';
import consoleShell from './routes/console/index.js';
import sharedAssets from './routes/shared-assets.js';
import eventTypes from './routes/event-types/index.js';
import exportsRoutes from './routes/exports/index.js';
import health from './routes/health/index.js';
import integrations from './routes/integrations/index.js';
import metrics from './routes/metrics/index.js';
import schedule from './routes/schedule/index.js';
import alerts from './routes/alerts/index.js';

export type { ApiDeps } from './context.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The HTTP API as a Fastify instance, not listening: `startApi` (server.ts) listens, tests use
 * `app.inject`. Infrastructure lives in plugins/ (error handler, auth, OpenAPI), one folder per route
 * group in routes/, TypeBox schemas in schemas/.
 */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const ua = buildContext(deps);
  const logger: FastifyBaseLogger = deps.logger ?? createLogger(deps.env.LOG_LEVEL);
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: deps.env.API_BODY_LIMIT_BYTES,
    // The caller's x-request-id when it looks like one, else a fresh uuid; echoed back and in every log line.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Unknown fields are an error, never silently dropped (Fastify's Ajv default is to strip them).
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // TypeBox validates: bodies exactly as sent (no type coercion), path and query strings converted to
  // the declared types; `additionalProperties: false` rejects unknown fields.
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  // JSON only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.decorate('ua', ua);
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });

  await app.register(errorHandler);
  await app.register(swagger);
  await app.register(auth, { tokens: deps.apiTokens ?? parseTokens(deps.env.API_TOKENS) });

  await app.register(health);
  await app.register(fastifyPlugin(metrics));
  await app.register(calendar);
  await app.register(consoleShell);
  await app.register(sharedAssets);
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', v1.authenticate);
      await v1.register(eventTypes, { prefix: '/event-types' });
      await v1.register(integrations, { prefix: '/integrations' });
      await v1.register(backfills, { prefix: '/integrations/:id/backfills' });
      await v1.register(schedule, { prefix: '/integrations/:id/schedule' });
      await v1.register(alerts, { prefix: '/integrations/:id/alerts' }); // issue 12
      await v1.register(exportsRoutes, { prefix: '/integrations/:id/exports' });
    },
    { prefix: '/v1' },
  );

  await app.ready();
  return app;
}
