import { between, emptyOutcome, sleep, type Scenario } from '../scenario.js';
import { ExportAlreadyClosed, keepOneWorker, unexpectedExits, uploadUnderway } from './common.js';

/**
 * 1. Worker SIGKILL mid-upload, several times in one export, a fresh worker started after each; every
 * third run has two workers on the queue and kills one of them without a replacement.
 */
export const workerKill: Scenario = {
  id: 'worker-kill',
  title: 'Worker SIGKILL mid-upload (repeated; two workers with one killed)',
  // 5 × 7 + 2 = 37 planned kills; with stale-checkpoint's 3, over the 30 even when an export
  // finishes before its last planned kill (one of four did on a quiet box, 2026-12-02: 29 kills in all
  // with six runs). Kills are spread over exports because each kill of one export doubles its next
  // retry's backoff (up to two minutes).
  fullRuns: 7,
  async run(lab, { rnd, runIndex, quick }) {
    const out = emptyOutcome();
    const twoWorkers = runIndex % 3 === 2;
    const kills = twoWorkers ? 1 : quick ? 1 : 7;
    const integration = await lab.integration();
    const day = lab.data.bigDay;
    // With many kills in one export, parts are slowed down so the resumed attempts cannot finish the
    // file before the last planned kill (each attempt keeps the parts its last heartbeat carried). At
    // 1 s a part, a loaded box let the resumed attempts finish after 4 of 7 kills (2026-12-01).
    const workerEnv: Record<string, string> = !twoWorkers && kills > 1 ? { UA_EXPORT_TEST_PART_DELAY_MS: '2000' } : {};
    await lab.startWorker(workerEnv);
    if (twoWorkers) await lab.startWorker();
    const wf = await lab.backfill(integration, day, day);
    let attempt = 0;
    let lastFault = 0;
    for (let k = 0; k < kills; k++) {
      let seen;
      try {
        seen = await uploadUnderway(lab, integration.id, day, { afterAttempt: attempt });
      } catch (err) {
        // The resumed attempts finished the file before the next planned kill: verify what was delivered.
        if (k > 0 && err instanceof ExportAlreadyClosed) {
          out.notes.push(`export finished after ${k} of ${kills} planned kills`);
          break;
        }
        throw err;
      }
      attempt = seen.attempt;
      await sleep(between(rnd, 300, 2_500));
      // The worker running the upload is unknown with two workers: kill one at random, as a crash would.
      const alive = lab.workers.filter((w) => w.alive());
      const victim = alive[Math.floor(rnd() * alive.length)]!;
      await victim.kill('SIGKILL');
      lastFault = Date.now();
      out.faults++;
      if (!twoWorkers) await lab.startWorker(workerEnv);
    }
    out.notes.push(twoWorkers ? 'two workers, one killed' : `${out.faults} kill(s), worker restarted after each`);
    const closed = lab.waitClosed(wf, 600_000);
    const keeper = keepOneWorker(lab, closed);
    const status = await closed;
    await keeper;
    out.faultToDeliveredMs.push(Date.now() - lastFault);
    if (status !== 'COMPLETED') out.notes.push(`backfill closed ${status}`);
    const v = await lab.verify(integration, [day]);
    out.verdicts = v.verdicts;
    out.openUploads = v.openUploads;
    out.notes.push(...unexpectedExits(lab));
    return out;
  },
};
