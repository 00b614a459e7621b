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

export const Schedule = Type.Object({
  scheduleId: Type.String(),
  paused: Type.Boolean(),
  note: Nullable(Type.String()),
  nextRunTimes: Type.Array(DateTime),
  recentRuns: Type.Array(RecentRun),
  uiUrl: Type.String(),
});

export const TriggerResponse = Type.Object({
  scheduleId: Type.String(),
  day: Day,
  exportWorkflowId: Type.String({ description: 'Id of the per-day export workflow that exports `day`' }),
  uiUrl: Type.String(),
});
