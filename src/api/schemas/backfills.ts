import { Type } from '@fastify/type-provider-typebox';
import { TABLES } from '../../export/tables.js';
import { DateTime, Day, dayField, Nullable, TableName } from './common.js';
import { WorkerStatus } from './workers.js';

export const BackfillStatus = Type.Union([
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('completed_with_failures'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
]);

export const StartBackfillBody = Type.Object(
  {
    from: Day,
    to: dayField('Last day, inclusive; must be before today (UTC)'),
    tables: Type.Optional(Type.Array(TableName, { minItems: 1, maxItems: TABLES.length, uniqueItems: true, description: 'Default: both tables' })),
    concurrency: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Days exported at once (default BACKFILL_DEFAULT_CONCURRENCY, at most BACKFILL_MAX_CONCURRENCY)' }),
    ),
  },
  { additionalProperties: false },
);

export const BackfillStarted = Type.Object({
  backfillId: Type.String(),
  status: BackfillStatus,
  totalDays: Type.Integer(),
  workflowId: Type.String(),
  runId: Type.String(),
  uiUrl: Type.String({ description: 'The backfill workflow in the Temporal UI' }),
});

export const BackfillParams = Type.Object(
  { id: Type.String({ format: 'uuid' }), backfillId: Type.String({ minLength: 1, maxLength: 300 }) },
  { additionalProperties: false },
);

export const Backfill = Type.Object({
  backfillId: Type.String(),
  workflowId: Type.String(),
  runId: Type.String(),
  status: BackfillStatus,
  cancelling: Type.Boolean({ description: 'Cancellation requested; in-flight days are aborting their uploads. The status turns `cancelled` once they have.' }),
  from: Day,
  to: Day,
  tables: Type.Array(TableName),
  concurrency: Type.Integer(),
  totalDays: Type.Integer(),
  completedDays: Type.Integer(),
  failedDays: Type.Array(Type.Object({ day: Day, error: Type.String() })),
  inProgressDays: Type.Array(Day),
  paused: Nullable(
    Type.Boolean({
      description:
        'Paused (POST …/pause): no new day starts until POST …/resume, days already running finish. null when the progress comes from the ledger (only the workflow knows)',
    }),
  ),
  rows: Type.Integer(),
  bytes: Type.Integer(),
  startedAt: DateTime,
  finishedAt: Nullable(DateTime),
  error: Nullable(Type.String({ description: 'Why a backfill stopped early (a configuration error that would fail every day)' })),
  uiUrl: Type.String(),
  progressSource: Type.Union([Type.Literal('workflow'), Type.Literal('result'), Type.Literal('ledger')], {
    description:
      "`workflow`: read live from the running workflow; `result`: the completed workflow's result; `ledger`: no worker could answer, so the figures are the ledger's record of this backfill's attempts (`error` is then unknown, null)",
  }),
  worker: WorkerStatus,
});

export const BackfillSummary = Type.Object({
  backfillId: Type.String(),
  runId: Type.String(),
  status: Type.String({ description: 'running, completed, failed, cancelled (read GET …/backfills/:backfillId for completed_with_failures and progress)' }),
  from: Nullable(Day),
  to: Nullable(Day),
  startedAt: DateTime,
  finishedAt: Nullable(DateTime),
  uiUrl: Type.String(),
});

export const BackfillList = Type.Object({ backfills: Type.Array(BackfillSummary) });

export const BackfillListQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })) },
  { additionalProperties: false },
);

export const CancelBackfillResponse = Type.Object({
  backfillId: Type.String(),
  status: Type.Literal('cancelling'),
  message: Type.String(),
});

export const PauseBackfillResponse = Type.Object({
  backfillId: Type.String(),
  runId: Type.String({ description: 'The run the signal reached (a long backfill continues as new, so its run changes)' }),
  paused: Type.Boolean({ description: 'What was asked: true after …/pause, false after …/resume' }),
  message: Type.String(),
});
