import { Type, type TLiteral, type TSchema } from '@fastify/type-provider-typebox';
import { TABLES } from '../../export/tables.js';

/** Shapes shared by every route group. */

export const Problem = Type.Object({
  field: Type.String({ description: 'The input field, as a dotted path (`settings.eventTypes`)' }),
  rule: Type.String({ description: 'What the field must satisfy' }),
});

export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'Stable code: validation_failed, unauthorized, not_found, conflict, payload_too_large, temporal_unavailable, …' }),
    message: Type.String({ description: 'What went wrong and what to do about it' }),
    details: Type.Array(Problem),
    requestId: Type.Optional(Type.String({ description: 'Also in the x-request-id response header and every log line of the request' })),
  },
  { description: 'Error' },
);

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`validation_failed`); nothing was started or stored',
  401: 'Missing or invalid bearer token',
  404: 'Unknown id',
  409: 'Conflicts with the current state',
  413: 'Body larger than API_BODY_LIMIT_BYTES',
  503: 'Temporal (or Postgres) could not be reached; nothing was changed',
};

/** Response entries for the given error statuses (401 and 503 are on every /v1 route). */
export function errors(...codes: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const c of [...new Set([401, 503, ...codes])]) out[c] = Type.Object(ErrorResponse.properties, { description: ERROR_DESCRIPTIONS[c] ?? 'Error' });
  return out;
}

export const Uuid = Type.String({ format: 'uuid', maxLength: 36 });

export const dayField = (description = 'A UTC calendar day, YYYY-MM-DD') =>
  Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description, examples: ['2026-05-01'] });

export const Day = dayField();

export const DateTime = Type.String({ format: 'date-time' });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const IntegrationParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'Integration id' }) }, { additionalProperties: false });

/** Literal schemas as a tuple type: from a plain array type, TypeBox's Union cannot infer the values (it gives never). */
const literals = <const T extends readonly string[]>(values: T) =>
  values.map((v) => Type.Literal(v)) as unknown as { -readonly [K in keyof T]: TLiteral<T[K]> };

/** One of the exported tables (TABLES, one spec each in src/export/tables.ts). */
export const TableName = Type.Union(literals(TABLES));

export const Note = Type.String({ maxLength: 500, description: 'Shown with the schedule in the Temporal UI' });

export const security = [{ bearerAuth: [] as string[] }];

/** `limit` and `cursor` of a paged list (the integrations, the calendar), with that list's page sizes. */
export function pageQueryFields(sizes: { default: number; max: number }) {
  return {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: sizes.max,
        description: `Integrations per page (default ${sizes.default}, at most ${sizes.max})`,
      }),
    ),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "The previous page's `nextCursor`, unchanged; omit it for the first page" }),
    ),
  };
}
