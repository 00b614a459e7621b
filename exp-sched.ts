import { connectClient } from './src/temporal/connection.js';
import { loadEnv } from './src/config/env.js';
const env = loadEnv();
const c = await connectClient(env);
const id = 'exp-sched-' + Date.now();
await c.schedule.create({ scheduleId: id, spec: { calendars: [{ hour: 4, minute: 0 }] }, action: { type: 'startWorkflow', workflowType: 'x', workflowId: id, taskQueue: 'exp-none', args: [] }, state: { paused: true, note: 'p' } });
const h = c.schedule.getHandle(id);
await h.update((prev) => ({ ...prev }));
await h.unpause('u');
for (let i = 0; i < 3; i++) { const d = await h.describe(); console.log('after update+unpause', d.state); await new Promise(r => setTimeout(r, 300)); }
await h.unpause('u2');
console.log('after second unpause', (await h.describe()).state);
await h.delete();
process.exit(0);
