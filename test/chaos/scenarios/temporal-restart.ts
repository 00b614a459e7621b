import { scheduleId, exportWorkflowId } from '../../../src/temporal/ids.js';
import { syncSchedule } from '../../../src/temporal/schedules.js';
import { down, up } from '../instance.js';
import { between, emptyOutcome, sleep, type Scenario } from '../scenario.js';
import { unexpectedExits } from './common.js';

/**
 * 4. Temporal server restart in the middle of a multi-day backfill; on every other run the
 * integration's schedule is triggered just before the restart, so a scheduled export is in flight too.
 */
export const temporalRestart: Scenario = {
  id: 'temporal-restart',
  title: 'Temporal server restart mid multi-day backfill (and while a schedule fires)',
  exclusive: true,
  async run(lab, { rnd, runIndex, quick }) {
    const out = emptyOutcome();
    const withSchedule = runIndex % 2 === 0;
    const integration = await lab.integration();
    const worker = await lab.startWorker();
    const { bigDay, tiesDay, smallDays } = lab.data;
    // The quick run leaves the big day out: the restart, not the size, is what this scenario is about.
    const days = quick ? [tiesDay, ...smallDays] : [bigDay, tiesDay, ...smallDays];
    const wf = await lab.backfill(integration, days[0]!, days[days.length - 1]!);
    if (withSchedule) {
      await syncSchedule(lab.client, integration, { taskQueue: lab.taskQueue });
      await lab.client.schedule.getHandle(scheduleId(integration.id)).trigger();
      days.push(lab.data.scheduledDay);
    }
    await sleep(between(rnd, 500, quick ? 2_000 : 6_000));
    const stopping = Date.now();
    await down('temporal');
    const stopped = Date.now();
    await sleep(between(rnd, 500, 3_000));
    const starting = Date.now();
    await up('temporal');
    const faultAt = Date.now();
    // Where a restart's time goes (the server's stop, its start to ready), apart from the recovery after it.
    out.notes.push(`server stop ${((stopped - stopping) / 1000).toFixed(1)} s, start to ready ${((faultAt - starting) / 1000).toFixed(1)} s`);
    out.faults++;
    const status = await lab.waitClosed(wf, 900_000);
    if (withSchedule) await lab.waitClosed(exportWorkflowId(integration.id, lab.data.scheduledDay), 600_000);
    out.faultToDeliveredMs.push(Date.now() - faultAt);
    if (status !== 'COMPLETED') out.notes.push(`backfill closed ${status}`);
    out.notes.push(withSchedule ? 'schedule triggered before the restart' : 'backfill only');
    out.workerSurvived = worker.alive();
    out.notes.push(...unexpectedExits(lab));
    const v = await lab.verify(integration, days);
    out.verdicts = v.verdicts;
    out.openUploads = v.openUploads;
    return out;
  },
};
