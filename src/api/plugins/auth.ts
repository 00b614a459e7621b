import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Bearer-token authentication for /v1. Tokens are compared as SHA-256 digests with timingSafeEqual,
 * against every configured token (no early exit), so neither a token's content nor its length leaks
 * through timing. With no token configured every /v1 request is refused: the API fails closed.
 */

declare module 'fastify' {
  interface FastifyInstance {
    /** An onRequest hook; it does not use `this`, so it can be passed as `app.authenticate`. */
    authenticate(this: void, req: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
}

export interface AuthOptions {
  tokens: string[];
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function tokenMatcher(tokens: string[]): (candidate: string) => boolean {
  const known = tokens.map(digest);
  return (candidate) => {
    const d = digest(candidate);
    let ok = false;
    for (const k of known) ok = timingSafeEqual(d, k) || ok;
    return ok;
  };
}

export default fp<AuthOptions>(
  async function auth(app: FastifyInstance, opts: AuthOptions) {
    const matches = tokenMatcher(opts.tokens);
    app.decorate('authenticate', async (req: FastifyRequest, reply: FastifyReply) => {
      const header = req.headers.authorization;
      const m = typeof header === 'string' ? /^Bearer (\S+)$/i.exec(header) : null;
      if (m && matches(m[1]!)) return;
      req.log.info({ hasAuthorization: typeof header === 'string' }, 'unauthorized request');
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="ua-export"')
        .send({ error: 'unauthorized', message: 'a valid "Authorization: Bearer <token>" header is required', details: [], requestId: req.id });
    });
  },
  { name: 'auth' },
);
