import pg from 'pg';
import { emptyOutcome, type Scenario } from '../scenario.js';
import { unexpectedExits } from './common.js';
import { throughProxy } from './through-proxy.js';

/**
 * 8. Slow consumer and slow source. Odd runs: S3 throttled through the proxy so one export takes
 * minutes (heartbeats must keep it alive). Even runs: the server's statement_timeout and
 * idle_in_transaction_session_timeout set to a few seconds while the worker uploads slowly (its
 * per-part delay), so the export's read session stays open far longer than either limit.
 */
export const slow: Scenario = {
  id: 'slow',
  title: 'Slow consumer (S3 throttled) and slow source (statement/idle timeouts on the server)',
  exclusive: true,
  async run(lab, { runIndex, quick }) {
    if (runIndex % 2 === 1) {
      return throughProxy(lab, runIndex, lab.data.bigDay, async (proxy, _i, _e, out) => {
        const bps = (quick ? 4 : 2) * 1024 * 1024;
        proxy.setRules([{ ops: ['UploadPart'], action: { type: 'throttle', bytesPerSecond: bps } }]);
        out.notes.push(`UploadPart throttled to ${bps / 2 ** 20} MiB/s`);
        out.faults++;
        await Promise.resolve();
      });
    }
    const out = emptyOutcome();
    const limit = '3s';
    await setTimeouts(lab.env.DATABASE_URL, limit);
    try {
      const integration = await lab.integration();
      const worker = await lab.startWorker({ UA_EXPORT_TEST_PART_DELAY_MS: '2500' });
      const started = Date.now();
      const wf = await lab.backfill(integration, lab.data.bigDay, lab.data.bigDay);
      out.faults++;
      const status = await lab.waitClosed(wf, 1_800_000);
      out.faultToDeliveredMs.push(Date.now() - started);
      if (status !== 'COMPLETED') out.notes.push(`backfill closed ${status}`);
      out.notes.push(`statement_timeout = idle_in_transaction_session_timeout = ${limit}, parts delayed 2.5 s each`);
      out.workerSurvived = worker.alive();
      out.notes.push(...unexpectedExits(lab));
      const v = await lab.verify(integration, [lab.data.bigDay]);
      out.verdicts = v.verdicts;
      out.openUploads = v.openUploads;
    } finally {
      await setTimeouts(lab.env.DATABASE_URL, null);
    }
    return out;
  },
};

/** ALTER DATABASE: applies to every new session of the product's database (the export opens one per attempt). */
async function setTimeouts(databaseUrl: string, limit: string | null): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ d: string }>('SELECT current_database() AS d');
    const name = `"${rows[0]!.d.replace(/"/g, '""')}"`;
    for (const setting of ['statement_timeout', 'idle_in_transaction_session_timeout'])
      await db.query(limit === null ? `ALTER DATABASE ${name} RESET ${setting}` : `ALTER DATABASE ${name} SET ${setting} = '${limit}'`);
  } finally {
    await db.end();
  }
}
