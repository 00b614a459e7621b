import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Day, Note, Nullable } from './common.js';

export const EmptyBody = Type.Object({}, { additionalProperties: false, description: 'No fields; the body may be omitted' });

export const ScheduleNoteBody = Type.Object({ note: Type.Optional(Note) }, { additionalProperties: false });

export const RecentRun = Type.Object({
  scheduledAt: DateTime,
  startedAt: DateTime,
  day: Day,
  workflowId: Type.String({ description: 'The scheduled run (it exports `day` in a child workflow)' }),
  runId: Type.String(),
  status: Type.String({ description: 'running, completed, failed, cancelled, terminated, timed_out, continued_as_new or unknown' }),
});

export const Pause = Type.Object(
  {
    pausedAt: DateTime,
    resumedAt: Nullable(DateTime),
    note: Type.String(),
  },
  { description: 'A stretch the schedule was paused; resumedAt is null while it still is' },
);

export const Schedule = Type.Object({
  scheduleId: Type.String(),
  paused: Type.Boolean(),
  note: Nullable(Type.String()),
  nextRunTimes: Type.Array(DateTime),
  recentRuns: Type.Array(RecentRun),
  pauses: Type.Array(Pause, {
    description:
      'The latest 10 stretches the schedule was paused through ua-export (pause, disable, deletion, auto-pause), newest first. Days whose run time fell in one were skipped on purpose; any other day whose run never started is repaired by the next scheduled run',
  }),
  uiUrl: Type.String(),
});

export const TriggerResponse = Type.Object({
  scheduleId: Type.String(),
  day: Day,
  exportWorkflowId: Type.String({ description: 'Id of the per-day export workflow that exports `day`' }),
  uiUrl: Type.String(),
});

// ---- issue 12 (operations): resume with catch-up
export const ResumeBody = Type.Object(
  {
    note: Type.Optional(Note),
    catchUp: Type.Optional(
      Type.Boolean({
        description:
          "Also start one backfill of every day missed while the schedule was paused or failing (from the ledger: since the auto-pause's first failed day, or the day after the last fully delivered day)",
      }),
    ),
  },
  { additionalProperties: false },
);

export const CatchUp = Type.Object({
  backfillId: Type.String(),
  from: Day,
  to: Day,
  missedDays: Type.Array(Day, { description: 'Days not delivered for every table; delivered days between them are overwritten identically' }),
  totalDays: Type.Integer(),
  uiUrl: Type.String({ description: 'The backfill in the Temporal UI' }),
});

export const ResumeResponse = Type.Object({
  ...Schedule.properties,
  catchUp: Nullable(CatchUp),
});
