import { down, downWithin, up } from '../instance.js';
import { between, emptyOutcome, sleep, type Scenario } from '../scenario.js';
import { unexpectedExits, uploadUnderway } from './common.js';

/** 5. The S3 service stopped in the middle of an upload, then started again. */
export const s3Outage: Scenario = {
  id: 's3-outage',
  title: 'S3 service stopped mid-upload, then started',
  exclusive: true,
  async run(lab, { rnd, quick }) {
    const out = emptyOutcome();
    const integration = await lab.integration();
    const day = lab.data.bigDay;
    // Parts slowed down so the outage lands mid-upload (the quick day has only a few parts).
    const worker = await lab.startWorker({ UA_EXPORT_TEST_PART_DELAY_MS: quick ? '3000' : '1000' });
    const wf = await lab.backfill(integration, day, day);
    await uploadUnderway(lab, integration.id, day);
    await sleep(between(rnd, 1_000, 4_000));
    // Quick: stopped within 2 s (SIGKILL if SeaweedFS is still shutting down) and down a few seconds, so
    // the CI subset does not wait on a graceful stop and a retry backoff grown past 16 s.
    await (quick ? downWithin(2, 'seaweedfs') : down('seaweedfs'));
    await sleep(quick ? 5_000 : 60_000);
    await up('seaweedfs');
    const faultAt = Date.now();
    out.faults++;
    const status = await lab.waitClosed(wf, 1_800_000);
    out.faultToDeliveredMs.push(Date.now() - faultAt);
    if (status !== 'COMPLETED') out.notes.push(`backfill closed ${status}`);
    out.workerSurvived = worker.alive();
    out.notes.push(...unexpectedExits(lab));
    const v = await lab.verify(integration, [day]);
    out.verdicts = v.verdicts;
    out.openUploads = v.openUploads;
    return out;
  },
};
