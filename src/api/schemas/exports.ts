import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Day, dayField, Nullable, TableName } from './common.js';

export const ExportsQuery = Type.Object(
  {
    from: Type.Optional(dayField('First day (default: 30 days before `to`)')),
    to: Type.Optional(dayField('Last day, inclusive (default: yesterday, UTC)')),
    table: Type.Optional(TableName),
  },
  { additionalProperties: false },
);

export const LedgerEntry = Type.Object({
  day: Day,
  table: TableName,
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('running'), Type.Literal('cancelled'), Type.Literal('missing')], {
    description: '`missing`: never exported',
  }),
  rows: Nullable(Type.Integer()),
  bytes: Nullable(Type.Integer()),
  key: Nullable(Type.String({ description: 'Object key in the bucket' })),
  sha256: Nullable(Type.String()),
  error: Nullable(Type.String()),
  startedAt: Nullable(DateTime),
  finishedAt: Nullable(DateTime),
  workflowId: Nullable(Type.String()),
  runId: Nullable(Type.String()),
  kind: Nullable(
    Type.Union([Type.Literal('scheduled'), Type.Literal('backfill'), Type.Literal('manual'), Type.Literal('redelivery'), Type.Literal('repair')], {
      description:
        "What started the latest attempt: the daily schedule, a backfill, a manual run, the lookback's `redelivery` of a day whose source changed after it was delivered, or the `repair` of a day whose scheduled run never started",
    }),
  ),
  attempts: Type.Integer(),
});

export const ExportsResponse = Type.Object({
  integrationId: Type.String(),
  from: Day,
  to: Day,
  summary: Type.Object({
    succeeded: Type.Integer(),
    failed: Type.Integer(),
    running: Type.Integer(),
    cancelled: Type.Integer(),
    missing: Type.Integer(),
  }),
  entries: Type.Array(LedgerEntry),
});
