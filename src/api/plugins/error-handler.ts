import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { BackfillNotFound } from '../../backfills/service.js';
import type { Problem } from '../../export/keys.js';
import { IntegrationNotFound } from '../../integrations/repo.js';
import { isDatabaseUnavailable } from '../../db/errors.js';
import { isTemporalUnavailable } from '../../temporal/errors.js';
import { ApiError, describeProblems } from '../errors.js';

/**
 * One error shape for every failure: `{ error, message, details: [{ field, rule }], requestId }`.
 * Schema violations (unknown fields, missing fields, wrong types) and the domain checks the routes run
 * both come out as 400 `validation_failed`; a stack trace never leaves the process.
 */

interface SchemaError {
  keyword?: string;
  instancePath?: string;
  schemaPath?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** `/settings/eventTypes/0` → `settings.eventTypes[0]`. */
function fieldOf(instancePath: string | undefined, extra?: string): string {
  const segments = (instancePath ?? '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segments.push(extra);
  let out = '';
  for (const s of segments) out += /^\d+$/.test(s) ? `[${s}]` : out ? `.${s}` : s;
  return out;
}

/**
 * A `params` value as message text, exactly as String() renders it. Ajv and TypeBox put property names
 * and literal values there (strings, numbers, booleans); `params` is typed `unknown` because nothing
 * guarantees it.
 */
function paramText(value: unknown): string {
  return String(value);
}

/** TypeBox and Ajv validation errors as `{ field, rule }`, deduplicated, the most specific kept. */
export function schemaErrorDetails(errors: SchemaError[], context: string): Problem[] {
  const root = context === 'querystring' ? 'query' : context;
  const out: Problem[] = [];
  const add = (field: string, rule: string) => out.push({ field: field || root, rule });
  // A union of literals fails once per literal ("must be equal to constant"): name the choices instead.
  const choices = new Map<string, string[]>();
  for (const e of errors) {
    const p = e.params ?? {};
    switch (e.keyword) {
      case 'required': {
        const names = (p.requiredProperties as string[] | undefined) ?? (p.missingProperty !== undefined ? [paramText(p.missingProperty)] : []);
        for (const n of names) add(fieldOf(e.instancePath, n), 'is required');
        break;
      }
      case 'additionalProperties': {
        const names = (p.additionalProperties as string[] | undefined) ?? (p.additionalProperty !== undefined ? [paramText(p.additionalProperty)] : []);
        for (const n of names) add(fieldOf(e.instancePath, n), 'is not a known field');
        break;
      }
      case 'boolean':
        // TypeBox reports an unknown field twice: as `additionalProperties` (kept) and as `schema is false`.
        if (e.schemaPath?.endsWith('/additionalProperties')) break;
        add(fieldOf(e.instancePath), e.message ?? 'is not allowed');
        break;
      case 'const': {
        const field = fieldOf(e.instancePath);
        const list = choices.get(field) ?? [];
        if (e.params?.allowedValue !== undefined) list.push(paramText(e.params.allowedValue));
        choices.set(field, list);
        break;
      }
      default:
        add(fieldOf(e.instancePath), e.message ?? 'is invalid');
    }
  }
  for (const [field, values] of choices) add(field, values.length ? `must be one of ${values.join(', ')}` : 'is not an allowed value');
  // A union reports every branch; when a field or a field inside it (`alerts.webhookUrl` in the
  // `alerts` object-or-null) has a specific complaint, drop the generic ones.
  const generic = (rule: string) => /^must match a schema in anyOf$|^must be null$/.test(rule);
  const specific = out.filter((d) => !generic(d.rule)).map((d) => d.field);
  const explained = (field: string) => specific.some((f) => f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`));
  const seen = new Set<string>();
  return out.filter((d) => {
    if (generic(d.rule) && explained(d.field)) return false;
    const key = `${d.field}\u0000${d.rule}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface ErrorBody {
  error: string;
  message: string;
  details: Problem[];
  requestId: string;
}

function classify(err: FastifyError & { validationContext?: string }): { status: number; body: Omit<ErrorBody, 'requestId'> } {
  if (err instanceof ApiError) return { status: err.statusCode, body: { error: err.code, message: err.message, details: err.details } };
  if (err.validation) {
    const context = err.validationContext ?? 'body';
    const details = schemaErrorDetails(err.validation, context);
    // A malformed id in the path names nothing that exists: the same 404 as an unknown id.
    if (context === 'params') return { status: 404, body: { error: 'not_found', message: `no such resource: ${describeProblems(details)}`, details } };
    return { status: 400, body: { error: 'validation_failed', message: `request is invalid: ${describeProblems(details)}`, details } };
  }
  if (err instanceof IntegrationNotFound || err instanceof BackfillNotFound)
    return { status: 404, body: { error: 'not_found', message: err.message, details: [] } };
  if (isTemporalUnavailable(err)) {
    return {
      status: 503,
      body: {
        error: 'temporal_unavailable',
        message: 'Temporal could not be reached or did not answer in time; nothing was changed by this request, retry shortly',
        details: [],
      },
    };
  }
  if (isDatabaseUnavailable(err)) {
    return { status: 503, body: { error: 'database_unavailable', message: 'the database could not be reached; retry shortly', details: [] } };
  }
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status === 413) {
    return {
      status,
      body: { error: 'payload_too_large', message: 'request body is too large', details: [{ field: 'body', rule: 'is larger than this server accepts' }] },
    };
  }
  if (status === 415) {
    return {
      status,
      body: { error: 'unsupported_media_type', message: 'send the body as application/json', details: [{ field: 'body', rule: 'must be application/json' }] },
    };
  }
  if (status >= 400 && status < 500) {
    // JSON.parse quotes a piece of the body in its message, and the body may hold a secret: never echo it.
    const message =
      err instanceof SyntaxError || (/JSON/i.test(err.code ?? '') && !/EMPTY/.test(err.code ?? ''))
        ? 'body is not valid JSON'
        : typeof err.code === 'string' && err.code.startsWith('FST_')
          ? err.message
          : 'bad request';
    const error = status === 400 ? 'bad_request' : status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : 'client_error';
    return { status, body: { error, message, details: status === 400 ? [{ field: 'body', rule: message }] : [] } };
  }
  return { status: 500, body: { error: 'internal_error', message: 'internal error; the request id identifies it in the server logs', details: [] } };
}

export default fp(
  async function errorHandler(app: FastifyInstance) {
    app.setErrorHandler((err: FastifyError, req, reply) => {
      const { status, body } = classify(err);
      if (status >= 500 && status !== 503) req.log.error({ err }, 'request failed');
      else if (status === 503) req.log.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, body.message);
      else req.log.info({ status, error: body.error, details: body.details }, body.message);
      void reply.code(status).send({ ...body, requestId: req.id } satisfies ErrorBody);
    });

    app.setNotFoundHandler((req, reply) => {
      void reply
        .code(404)
        .send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}`, details: [], requestId: req.id } satisfies ErrorBody);
    });
  },
  { name: 'error-handler' },
);
