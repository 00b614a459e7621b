import pg from 'pg';
import { down, up } from '../instance.js';
import { between, emptyOutcome, sleep, type Scenario } from '../scenario.js';
import { unexpectedExits, uploadUnderway } from './common.js';

/**
 * 3. Postgres faults during the COPY: a fast restart, the export's backend terminated, Postgres down
 * for a while. The worker and API processes must survive each of them (never exit) and the export resume.
 */
const VARIANTS = ['restart', 'terminate', 'outage'] as const;

export const postgresFaults: Scenario = {
  id: 'postgres',
  title: 'Postgres fast restart / pg_terminate_backend / outage mid-COPY',
  exclusive: true,
  async run(lab, { rnd, runIndex, quick }) {
    const out = emptyOutcome();
    const variant = VARIANTS[runIndex % VARIANTS.length]!;
    const integration = await lab.integration();
    const day = lab.data.bigDay;
    const [worker, api] = await Promise.all([lab.startWorker(), lab.startApi()]);
    const wf = await lab.backfill(integration, day, day);
    await uploadUnderway(lab, integration.id, day);
    await sleep(between(rnd, 200, 1_500));
    if (variant === 'terminate') {
      const admin = new pg.Client({ connectionString: lab.env.DATABASE_URL });
      await admin.connect();
      const { rows } = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'COPY%'",
      );
      for (const r of rows) await admin.query('SELECT pg_terminate_backend($1)', [r.pid]);
      await admin.end();
      out.notes.push(`terminated ${rows.length} COPY backend(s)`);
    } else {
      await down('postgres');
      if (variant === 'outage') await sleep(quick ? 10_000 : 60_000);
      await up('postgres');
    }
    const faultAt = Date.now();
    out.faults++;
    out.notes.push(variant);
    // Give a worker that is going to die from the fault the time to do so before judging it.
    await sleep(2_000);
    out.workerSurvived = worker.alive() && unexpectedExits(lab).length === 0;
    if (!worker.alive()) {
      out.notes.push(`BUG: ${unexpectedExits(lab).join('; ')}; a replacement worker was started so the export can finish`);
      await lab.startWorker();
    }
    const status = await lab.waitClosed(wf, 900_000);
    out.faultToDeliveredMs.push(Date.now() - faultAt);
    if (status !== 'COMPLETED') out.notes.push(`backfill closed ${status}`);
    // The API's pool met the same fault: it must still be up and ready again once Postgres is.
    const ready = await fetch(`${api.url}/readyz`).then(
      (r) => r.status,
      (e: Error) => e.message,
    );
    if (ready !== 200) out.notes.push(`API /readyz answered ${ready} after the fault`);
    out.workerSurvived = out.workerSurvived && worker.alive() && api.proc.alive();
    const v = await lab.verify(integration, [day]);
    out.verdicts = v.verdicts;
    out.openUploads = v.openUploads;
    return out;
  },
};
