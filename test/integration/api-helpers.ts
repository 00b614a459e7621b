import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type ApiDeps } from '../../src/api/app.js';
import type { Env } from '../../src/config/env.js';
import { createLogger } from '../../src/logging.js';
import { historyText, type Harness } from '../helpers/harness.js';

/**
 * The API built on a test harness's real services (its Postgres, Temporal client, task queue and
 * bucket), with every log line and response body kept so tests can scan them for secrets.
 */
export const TOKEN = 'test-token-5f1c9e0a-api';

export interface TestApi {
  app: FastifyInstance;
  logs: string[];
  responses: string[];
  call(
    method: string,
    url: string,
    body?: unknown,
    opts?: { token?: string | null; headers?: Record<string, string>; rawBody?: string },
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function testApi(h: Harness, opts: { env?: Partial<Env>; deps?: Partial<ApiDeps> } = {}): Promise<TestApi> {
  const logs: string[] = [];
  const responses: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const env: Env = { ...h.env, TEMPORAL_TASK_QUEUE: h.taskQueue, API_TOKENS: TOKEN, LOG_LEVEL: 'debug', ...opts.env };
  const app = await buildApp({
    env,
    pool: h.pool,
    keyring: h.keyring,
    client: h.testEnv.client,
    logger: createLogger('debug', sink),
    temporalTimeoutMs: 5_000,
    ...opts.deps,
  });
  return {
    app,
    logs,
    responses,
    async call(method, url, body, o = {}) {
      const token = o.token === undefined ? TOKEN : o.token;
      const headers: Record<string, string> = { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...o.headers };
      const payload = o.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
      if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const res = await app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
      responses.push(`${res.statusCode} ${JSON.stringify(res.headers)} ${res.body}`);
      return res;
    },
    close: () => app.close(),
  };
}

/** Every workflow of an integration (exports, backfills, scheduled runs) as text, payloads decoded. */
export async function workflowHistoriesText(h: Harness, integrationId: string): Promise<{ count: number; text: string }> {
  const parts: string[] = [];
  let count = 0;
  for await (const wf of h.testEnv.client.workflow.list({ query: `UaIntegrationId = '${integrationId}'` })) {
    const history = await h.testEnv.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    parts.push(historyText(history));
    count++;
  }
  return { count, text: parts.join('\n') };
}

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
