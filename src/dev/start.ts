/**
 * `npm start`: the whole product on local defaults. Migrates, seeds a demo app, creates a demo
 * integration pointing at the local S3, runs the worker and the API in this process, backfills the
 * last few days through Temporal, and prints where to look. Ctrl-C stops it (scripts/start.sh then
 * stops the services it started).
 */
import { CreateBucketCommand, HeadBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { NativeConnection } from '@temporalio/worker';
import { loadEnv } from '../config/env.js';
import { keyringFromEnv } from '../config/keyring.js';
import { createPool } from '../db/pool.js';
import { migrate } from '../db/migrate.js';
import { addDays, utcDayOf } from '../export/days.js';
import { createIntegration, findIntegration, updateIntegration } from '../integrations/repo.js';
import { localS3Client } from '../s3/client.js';
import { connectClient } from '../temporal/connection.js';
import { reconcileSchedules } from '../temporal/schedules.js';
import { listIntegrations } from '../integrations/repo.js';
import { pauseSweepFromEnv } from '../worker/pause-sweep-loop.js';
import { createExportWorker, workerSettingsFromEnv } from '../worker/worker.js';
import { getBackfill, startBackfill } from '../backfills/service.js';
import { workflowListUiUrl, workflowUiUrl } from '../temporal/links.js';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay } from './generate.js';
import { startApi } from '../api/server.js';
import { createLogger } from '../logging.js';

export const DEMO_APP_ID = '0000d3e0-0000-4000-8000-00000000a99d';
export const DEMO_INTEGRATION_ID = '0000d3e0-0000-4000-8000-0000000001e7';
const DEMO_DAYS = 3;
const EVENTS_PER_DAY = 5_000;

const env = loadEnv();
const log = createLogger(env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL);
const say = (msg = '') => process.stdout.write(`${msg}\n`);

say('ua-export: starting on local defaults');
await migrate(env.DATABASE_URL);
const pool = createPool(env.DATABASE_URL);
const keyring = keyringFromEnv(env);

// The local bucket the demo integration writes to.
const s3 = localS3Client(env);
await s3.send(new HeadBucketCommand({ Bucket: env.LOCAL_S3_BUCKET })).catch(() => s3.send(new CreateBucketCommand({ Bucket: env.LOCAL_S3_BUCKET })));

// A few complete UTC days of demo data, seeded once.
const today = utcDayOf(new Date());
const days = Array.from({ length: DEMO_DAYS }, (_, i) => addDays(today, -DEMO_DAYS + i));
for (const [i, day] of days.entries()) {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ua_events WHERE app_id = $1 AND created_at >= $2::date AND created_at < $2::date + 1`,
    [DEMO_APP_ID, day],
  );
  if (rows[0]!.n === 0) {
    await insertEvents(pool, eventsForDay(DEMO_APP_ID, day, EVENTS_PER_DAY, 1000 + i));
    await pool.query('DELETE FROM campaign_metrics WHERE app_id = $1 AND date = $2', [DEMO_APP_ID, day]);
    await insertMetrics(pool, metricsForDay(DEMO_APP_ID, day, 12, 2000 + i));
    say(`  seeded ${EVENTS_PER_DAY} events and campaign metrics for ${day}`);
  }
}

// The demo integration follows the local S3 settings of this run: an existing one is updated (and its
// secret re-sealed with this ENCRYPTION_KEY), so a changed key or credentials never strand it.
const demoStorage = {
  endpointUrl: env.LOCAL_S3_ENDPOINT,
  region: 'us-east-1',
  bucket: `${env.LOCAL_S3_BUCKET}/com.example.demo`,
  folder: 'ua-export',
  accessKeyId: env.LOCAL_S3_ACCESS_KEY_ID,
  secretAccessKey: env.LOCAL_S3_SECRET_ACCESS_KEY,
  forcePathStyle: true,
};
const integration = (await findIntegration(pool, DEMO_INTEGRATION_ID))
  ? await updateIntegration(pool, keyring, DEMO_INTEGRATION_ID, { ...demoStorage, enabled: true })
  : await createIntegration(pool, keyring, {
      id: DEMO_INTEGRATION_ID,
      appId: DEMO_APP_ID,
      ...demoStorage,
      settings: { sendUserAttributes: true, includeEventsWithoutProfile: false },
      historicalCutoff: '2000-01-01T00:00:00Z',
    });

const client = await connectClient(env);
await reconcileSchedules(client, await listIntegrations(pool), { taskQueue: env.TEMPORAL_TASK_QUEUE });

const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
const worker = await createExportWorker({
  ...workerSettingsFromEnv(env),
  connection,
  pool,
  keyring,
  client,
  log: log.child({ component: 'worker' }),
});
const workerDone = worker.run();
const stopPauseSweep = pauseSweepFromEnv(env, { client, pool, log: log.child({ component: 'worker' }) });

const api = await startApi({ env, pool, keyring, client, logger: log });

const backfill = await startBackfill(client, {
  integrationId: integration.id,
  from: days[0]!,
  to: days[days.length - 1]!,
  concurrency: 3,
  taskQueue: env.TEMPORAL_TASK_QUEUE,
  uiUrl: env.TEMPORAL_UI_URL,
  namespace: env.TEMPORAL_NAMESPACE,
  alertsConfigured: integration.alerts !== null,
});
say(`  exporting ${days[0]} → ${days[days.length - 1]} (backfill ${backfill.workflowId})`);
for (;;) {
  const p = await getBackfill(client, integration.id, backfill.backfillId);
  if (p.status !== 'running') {
    say(`  backfill ${p.status}: ${p.completedDays}/${p.totalDays} days, ${p.rows} rows, ${p.bytes} bytes`);
    for (const f of p.failedDays) say(`  ! ${f.day}: ${f.error}`);
    break;
  }
  await new Promise((r) => setTimeout(r, 500));
}

const listed = await s3.send(new ListObjectsV2Command({ Bucket: env.LOCAL_S3_BUCKET, Prefix: 'com.example.demo/' }));
say('');
say('Where to look');
say(`  Temporal UI       ${workflowListUiUrl(env.TEMPORAL_UI_URL, env.TEMPORAL_NAMESPACE)}`);
say(`  this backfill     ${workflowUiUrl(env.TEMPORAL_UI_URL, env.TEMPORAL_NAMESPACE, backfill.workflowId)}`);
say(`  HTTP API          ${api.url}   (docs: ${api.url}/docs)`);
say(`  API token         ${api.tokenHint}`);
say(`  console           ${api.url}/console${api.generatedToken ? `#token=${api.generatedToken}` : ''}   (set up, test, export, schedule)`);
say(`  export calendar   ${api.url}/calendar${api.generatedToken ? `#token=${api.generatedToken}` : ''}`);
say(`  metrics           ${api.url}/metrics`);
say(`  S3 endpoint       ${env.LOCAL_S3_ENDPOINT}   access key ${env.LOCAL_S3_ACCESS_KEY_ID} (secret: LOCAL_S3_SECRET_ACCESS_KEY, see .env.example)`);
say(`  bucket            s3://${env.LOCAL_S3_BUCKET}/com.example.demo/ua-export/`);
for (const o of listed.Contents ?? []) say(`    ${o.Key}  (${o.Size} bytes)`);
say('');
say('Try the CLI (in another terminal):');
say(`  export UA_EXPORT_API_URL=${api.url} UA_EXPORT_TOKEN=${api.generatedToken ?? '<one of API_TOKENS>'}`);
say(`  npx ua-export integrations list`);
say(`  npx ua-export backfill start ${integration.id} --from ${addDays(days[0]!, -4)} --to ${addDays(days[0]!, -1)} --watch`);
say('');
say('Worker and API are running. Ctrl-C stops everything.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  say('\nstopping…');
  stopPauseSweep();
  worker.shutdown();
  await workerDone.catch(() => undefined);
  await api.close();
  await connection.close();
  await client.connection.close();
  await pool.end();
  s3.destroy();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
