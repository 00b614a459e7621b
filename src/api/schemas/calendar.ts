import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Day, dayField, Nullable, pageQueryFields, TableName } from './common.js';
import { WorkerStatus } from './workers.js';

/** The export calendar: compact day codes for every integration, and short-lived links to exported files. */

/** A page of strips: at two years of days, the default page is a few hundred KiB of JSON. */
export const CALENDAR_PAGE_DEFAULT = 200;
export const CALENDAR_PAGE_MAX = 1000;

export const CalendarQuery = Type.Object(
  {
    from: Type.Optional(dayField('First day (default: 730 days before `to`, so two years of days)')),
    to: Type.Optional(dayField('Last day, inclusive (default: yesterday, UTC)')),
    ...pageQueryFields({ default: CALENDAR_PAGE_DEFAULT, max: CALENDAR_PAGE_MAX }),
  },
  { additionalProperties: false },
);

export const CalendarIntegration = Type.Object({
  id: Type.String(),
  appId: Type.String(),
  bucket: Type.String(),
  folder: Type.String(),
  enabled: Type.Boolean(),
  // issue 12
  autoPaused: Type.Union([Type.Object({ since: Type.String(), reason: Type.String() }), Type.Null()], {
    description: 'Set while the schedule is paused after repeated configuration failures (since: the first failed day)',
  }),
  codes: Type.String({
    description:
      'One character per day from `from` to `to`: `x` exported, `e` exported but empty (0 rows), `f` failed, `r` running, `m` missing (never exported, cancelled, or not every table exported)',
    examples: ['xxxxexfmmr'],
  }),
});

export const CalendarResponse = Type.Object({
  from: Day,
  to: Day,
  today: dayField('Today in UTC on the server: only days before it can be backfilled'),
  maxDays: Type.Integer({ description: 'Longest range one request (calendar, ledger or backfill) may cover' }),
  workflowUrlPrefix: Type.String({
    description: 'A workflow in the Temporal UI is this prefix + the URI-encoded workflow id (+ `/` + run id for one run)',
  }),
  worker: Nullable(WorkerStatus),
  integrations: Type.Array(CalendarIntegration, { description: 'This page of integrations, by app id then id' }),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` (with the same `from` and `to`) for the next page; null on the last page' })),
});

export const FileParams = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Integration id' }),
    table: TableName,
    day: dayField('The exported day'),
  },
  { additionalProperties: false },
);

export const FileLink = Type.Object({
  url: Type.String({ description: "Presigned GET URL of the day's CSV in the integration's bucket; works without other credentials until `expiresAt`" }),
  expiresAt: DateTime,
  key: Type.String({ description: 'Object key in the bucket' }),
  rows: Nullable(Type.Integer()),
  bytes: Nullable(Type.Integer()),
  sha256: Nullable(Type.String()),
});
