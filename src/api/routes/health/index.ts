import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Health, Readiness } from '../../schemas/health.js';

/** Liveness and readiness probes: no token, never cached. */
const health: FastifyPluginAsyncTypebox = async (app) => {
  const ua = app.ua;

  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is up', response: { 200: Health } } }, async (_req, reply) => {
    void reply.header('cache-control', 'no-store');
    return { status: 'ok' as const };
  });

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Postgres and Temporal are reachable',
        description: '200 when both answer within 2 s, 503 otherwise; `checks` says which one failed.',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (req, reply) => {
      const check = async (fn: () => Promise<unknown>) => {
        const started = Date.now();
        try {
          await fn();
          return { ok: true, latencyMs: Date.now() - started, error: null };
        } catch (err) {
          req.log.warn({ err: { message: (err as Error).message } }, 'readiness check failed');
          return { ok: false, latencyMs: Date.now() - started, error: (err as Error).message?.split('\n')[0] ?? 'failed' };
        }
      };
      const [postgres, temporal] = await Promise.all([
        check(() => withTimeout(ua.pool.query('SELECT 1'), 2_000, 'Postgres did not answer within 2 s')),
        check(() => ua.temporal(() => ua.client.workflowService.getSystemInfo({}), 2_000)),
      ]);
      const ready = postgres.ok && temporal.ok;
      void reply.code(ready ? 200 : 503).header('cache-control', 'no-store');
      return { status: ready ? ('ready' as const) : ('not_ready' as const), checks: { postgres, temporal } };
    },
  );
};

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}

export default health;
