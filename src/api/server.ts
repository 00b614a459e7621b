import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../config/env.js';
import { buildApp } from './app.js';
import { parseTokens, type ApiDeps } from './context.js';

export interface RunningApi {
  app: FastifyInstance;
  /** Base URL it listens on, e.g. http://127.0.0.1:3000. */
  url: string;
  /** The generated development token, or a pointer to API_TOKENS. */
  tokenHint: string;
  /** True when the token was generated because API_TOKENS was empty (development only). */
  generatedToken: string | null;
  close(): Promise<void>;
}

/**
 * Bearer tokens for the API: API_TOKENS, or outside production a freshly generated development
 * token (printed by the caller). Production without tokens is a configuration error.
 */
export function resolveApiTokens(apiTokens: string, nodeEnv = process.env.NODE_ENV): { tokens: string[]; generated: string | null } {
  const tokens = parseTokens(apiTokens);
  if (tokens.length > 0) return { tokens, generated: null };
  if (nodeEnv === 'production') throw new ConfigError([{ field: 'API_TOKENS', rule: 'must list at least one bearer token in production' }]);
  const generated = `dev_${randomBytes(24).toString('base64url')}`;
  return { tokens: [generated], generated };
}

/** Builds the API and listens on API_HOST:API_PORT (loopback and 3000 by default). */
export async function startApi(deps: ApiDeps): Promise<RunningApi> {
  const { tokens, generated } = deps.apiTokens ? { tokens: deps.apiTokens, generated: null } : resolveApiTokens(deps.env.API_TOKENS);
  const app = await buildApp({ ...deps, apiTokens: tokens });
  await app.listen({ host: deps.env.API_HOST, port: deps.env.API_PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : deps.env.API_PORT;
  const host = deps.env.API_HOST.includes(':') ? `[${deps.env.API_HOST}]` : deps.env.API_HOST;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  return {
    app,
    url,
    tokenHint: generated ?? 'one of the tokens in API_TOKENS',
    generatedToken: generated,
    close: () => app.close(),
  };
}
