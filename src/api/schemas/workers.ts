import { Type } from '@fastify/type-provider-typebox';
import { Nullable } from './common.js';

/** Whether a worker polls the task queue, as Temporal records it (DescribeTaskQueue). */
export const WorkerStatus = Type.Object(
  {
    taskQueue: Type.String(),
    polling: Type.Boolean({ description: 'A worker polled the task queue recently. False: nothing runs or answers progress queries until a worker starts' }),
    lastAccessTime: Nullable(
      Type.String({ format: 'date-time', description: 'The newest poll Temporal remembers (it forgets pollers some minutes after they stop); null when none' }),
    ),
    pollers: Type.Object({ workflow: Type.Integer(), activity: Type.Integer() }, { description: 'Pollers seen recently, by task type' }),
  },
  { description: 'Who polls the task queue' },
);
