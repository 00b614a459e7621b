import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../../src/api/server.js';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay } from '../../src/dev/generate.js';
import { createLogger } from '../../src/logging.js';
import { deleteSchedule } from '../../src/temporal/schedules.js';
import { setupHarness, type Harness } from '../helpers/harness.js';

/**
 * The `ua-export` CLI as a user runs it: `node bin/ua-export.js …` in a child process, against the
 * HTTP API started in this process on a free port, on the real Temporal, Postgres and S3 (with a
 * worker on the harness's task queue). Asserts on stdout, stderr and exit codes.
 */
const BIN = fileURLToPath(new URL('../../bin/ua-export.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = `cli-token-${randomUUID()}`;

let h: Harness;
let api: RunningApi;
let SECRET: string;
const created: string[] = [];
/** Every byte any CLI run printed, to check that no secret ever shows. */
const printed: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, UA_EXPORT_API_URL: api.url, UA_EXPORT_TOKEN: TOKEN, ...opts.env };
  delete env.UA_EXPORT_SECRET_ACCESS_KEY;
  if (opts.env?.UA_EXPORT_SECRET_ACCESS_KEY) env.UA_EXPORT_SECRET_ACCESS_KEY = opts.env.UA_EXPORT_SECRET_ACCESS_KEY;
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: the API answering the CLI runs in this very process.
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      printed.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** `integrations create` through the CLI with the secret piped on stdin; returns the created integration. */
async function createViaCli(appId: string, secret: string, extra: string[] = []): Promise<{ id: string; appId: string; folder: string }> {
  const r = await cli(
    [
      'integrations',
      'create',
      '--app-id',
      appId,
      '--endpoint-url',
      h.env.LOCAL_S3_ENDPOINT,
      '--bucket',
      h.bucket,
      '--folder',
      `cli-${randomUUID().slice(0, 8)}`,
      '--region',
      'us-east-1',
      '--access-key-id',
      h.env.LOCAL_S3_ACCESS_KEY_ID,
      '--secret-access-key-stdin',
      '--json',
      ...extra,
    ],
    { stdin: `${secret}\n` },
  );
  expect(r.code, show(r)).toBe(0);
  const body = JSON.parse(r.stdout);
  created.push(body.id);
  return body;
}

async function seed(appId: string, days: string[]): Promise<number> {
  let rows = 0;
  for (const [n, day] of days.entries()) {
    const events = [...eventsForDay(appId, day, 60 + n * 5, 900 + n)].filter((e) => e.profile_id !== null);
    const metrics = metricsForDay(appId, day, 3, 950 + n);
    await insertEvents(h.pool, events);
    await insertMetrics(h.pool, metrics);
    rows += events.length + metrics.length;
  }
  return rows;
}

beforeAll(async () => {
  h = await setupHarness('cli');
  SECRET = h.env.LOCAL_S3_SECRET_ACCESS_KEY;
  await h.startWorker();
  api = await startApi({
    env: { ...h.env, API_HOST: '127.0.0.1', API_PORT: 0, API_TOKENS: TOKEN, TEMPORAL_TASK_QUEUE: h.taskQueue, LOG_LEVEL: 'silent' },
    pool: h.pool,
    keyring: h.keyring,
    client: h.testEnv.client,
    logger: createLogger('silent'),
  });
});

afterAll(async () => {
  for (const id of created) await deleteSchedule(h.testEnv.client, id).catch(() => undefined);
  await api?.close();
  await h?.close();
});

describe('ua-export CLI against the real API', () => {
  it('--help lists the commands and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code, show(r)).toBe(0);
    for (const word of ['integrations', 'backfill', 'schedule', 'exports', 'test-connection', 'UA_EXPORT_API_URL', 'UA_EXPORT_TOKEN'])
      expect(r.stdout).toContain(word);
    const sub = await cli(['backfill', 'start', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--watch');
  });

  let good: { id: string; appId: string; folder: string };

  it('creates an integration (secret from stdin), lists it as JSON and tests the connection', async () => {
    good = await createViaCli(randomUUID(), SECRET);
    expect(good.id).toMatch(/^[0-9a-f-]{36}$/);

    const list = await cli(['integrations', 'list', '--json']);
    expect(list.code, show(list)).toBe(0);
    const ids = (JSON.parse(list.stdout) as { integrations: { id: string }[] }).integrations.map((i) => i.id);
    expect(ids).toContain(good.id);

    const table = await cli(['integrations', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+APP ID\s+ENABLED\s+SCHEDULE/);
    expect(table.stdout).toMatch(new RegExp(`${good.id}\\s+${good.appId}\\s+yes\\s+active`));

    const shown = await cli(['integrations', 'show', good.id]);
    expect(shown.code, show(shown)).toBe(0);
    expect(shown.stdout).toMatch(/access key id\s+\*\*\*\*/);

    const t = await cli(['integrations', 'test-connection', good.id]);
    expect(t.code, show(t)).toBe(0);
    expect(t.stdout).toContain('Connection OK');
    expect(t.stdout).toMatch(/ok\s+complete_multipart_upload/);
    expect(t.stdout).toContain('Parts will carry CRC32 checksums: this provider refused a wrong one, and the connection is TLS or loopback.');
  });

  it('backfill start --watch follows a backfill to its end: progress lines, a summary, exit 0', async () => {
    const days = ['2026-05-10', '2026-05-11', '2026-05-12'];
    const rows = await seed(good.appId, days);
    const r = await cli(['backfill', 'start', good.id, '--from', days[0]!, '--to', days[2]!, '--concurrency', '3', '--watch', '--interval', '0.3']);
    expect(r.code, show(r)).toBe(0);
    // Not a terminal: one progress line per change, on stderr.
    const progress = r.stderr.split('\n').filter((l) => /^\w+: \d+\/3 days/.test(l));
    expect(progress.length, r.stderr).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toMatch(/^completed: 3\/3 days · [\d,]+ rows · /);
    // eslint-disable-next-line no-control-regex -- ESC starts the cursor movements this asserts are absent
    expect(r.stderr).not.toMatch(/\u001b\[/); // no cursor movement in a log
    expect(r.stdout).toContain('Backfill completed');
    expect(r.stdout).toMatch(/days\s+3 total · 3 completed · 0 failed/);
    expect(r.stdout).toMatch(new RegExp(`rows\\s+${rows.toLocaleString('en-US')}\\n`));
    expect(r.stdout).toMatch(/duration\s+\d/);
    expect(r.stdout).toContain(`${h.env.TEMPORAL_UI_URL}/namespaces/${h.env.TEMPORAL_NAMESPACE}/workflows/`);
    const backfillId = /Backfill (ua-backfill-\S+):/.exec(r.stdout)?.[1];
    expect(backfillId).toBeDefined();

    const status = await cli(['backfill', 'status', good.id, backfillId!, '--json']);
    expect(status.code, show(status)).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ backfillId, status: 'completed', completedDays: 3, failedDays: [], rows });

    const list = await cli(['backfill', 'list', good.id]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${backfillId}\\s+completed\\s+2026-05-10\\s+2026-05-12`));

    // Cancelling a finished backfill: the API's 409, exit 2.
    const cancel = await cli(['backfill', 'cancel', good.id, backfillId!]);
    expect(cancel.code, show(cancel)).toBe(2);
    expect(cancel.stderr).toMatch(/already finished \(completed\) \(HTTP 409 conflict\)/);
  });

  it('shows the export ledger per day, with the gap visible', async () => {
    const r = await cli(['exports', good.id, '--from', '2026-05-09', '--to', '2026-05-12']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^DAY\s+UA_EVENTS\s+ROWS\s+BYTES\s+CAMPAIGN_METRICS\s+ROWS\s+BYTES$/m);
    expect(r.stdout).toMatch(/^2026-05-09\s+missing\s+-\s+-\s+missing\s+-\s+-$/m);
    for (const day of ['2026-05-10', '2026-05-11', '2026-05-12'])
      expect(r.stdout).toMatch(new RegExp(`^${day}\\s+succeeded\\s+[\\d,]+\\s+\\S+ \\S*B\\s+succeeded\\s+\\d+\\s+\\S+ \\S*B$`, 'm'));
    expect(r.stdout).toContain('succeeded 6 · failed 0 · running 0 · cancelled 0 · missing 2');
    expect(r.stdout).toContain('gaps (never exported): 2026-05-09');

    const json = await cli(['exports', good.id, '--from', '2026-05-10', '--to', '2026-05-12', '--table', 'ua_events', '--json']);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(body.entries).toHaveLength(3);
    expect(body.entries.every((e: { status: string; table: string }) => e.status === 'succeeded' && e.table === 'ua_events')).toBe(true);
  });

  it('pauses and resumes the schedule with a note', async () => {
    const paused = await cli(['schedule', 'pause', good.id, '--note', 'bucket migration (CLI test)']);
    expect(paused.code, show(paused)).toBe(0);
    expect(paused.stdout).toMatch(/state\s+paused/);

    const status = await cli(['schedule', 'status', good.id]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/state\s+paused/);
    expect(status.stdout).toMatch(/note\s+bucket migration \(CLI test\)/);
    const json = JSON.parse((await cli(['schedule', 'status', good.id, '--json'])).stdout);
    expect(json).toMatchObject({ paused: true, note: 'bucket migration (CLI test)' });

    const resumed = await cli(['schedule', 'resume', good.id, '--note', 'migration done']);
    expect(resumed.code, show(resumed)).toBe(0);
    expect(resumed.stdout).toMatch(/state\s+active/);
    expect(resumed.stdout).toMatch(/note\s+migration done/);
    expect(resumed.stdout).toMatch(/next runs\s+\d{4}-\d{2}-\d{2} 04:00:00Z/);
  });

  it('a backfill with a wrong secret: test-connection exits 1, --watch exits 1 and shows the error', async () => {
    // The wrong secret comes from the environment this time.
    const appId = randomUUID();
    const r0 = await cli(
      [
        'integrations',
        'create',
        '--app-id',
        appId,
        '--endpoint-url',
        h.env.LOCAL_S3_ENDPOINT,
        '--bucket',
        h.bucket,
        '--folder',
        'cli-wrong',
        '--access-key-id',
        h.env.LOCAL_S3_ACCESS_KEY_ID,
        '--json',
      ],
      { env: { UA_EXPORT_SECRET_ACCESS_KEY: 'not-the-secret' } },
    );
    expect(r0.code, show(r0)).toBe(0);
    const bad = JSON.parse(r0.stdout) as { id: string };
    created.push(bad.id);

    const t = await cli(['integrations', 'test-connection', bad.id]);
    expect(t.code, show(t)).toBe(1);
    expect(t.stdout).toContain('Connection FAILED');
    expect(t.stdout).toMatch(/FAIL\s+put_object\s+.*secret access key does not match/);

    await seed(appId, ['2026-05-11']);
    const r = await cli(['backfill', 'start', bad.id, '--from', '2026-05-11', '--to', '2026-05-12', '--watch', '--interval', '0.3']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(/^Backfill (failed|completed with \d failed days?)/m);
    expect(r.stdout).toMatch(/failed days\s+2026-05-1[12]\s+.*secret access key does not match/);
  });

  it('bad input exits 2 with the API field and rule; an unknown id exits 2 with not found', async () => {
    const r = await cli(['backfill', 'start', good.id, '--from', '2026-02-30', '--to', '2026-03-01']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error: request is invalid (HTTP 400 validation_failed)');
    expect(r.stderr).toContain('  from: must be a real calendar day as YYYY-MM-DD, got "2026-02-30"');

    const json = await cli(['backfill', 'start', good.id, '--from', '2026-02-30', '--to', '2026-03-01', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: 'validation_failed', details: [{ field: 'from' }] });

    const missing = await cli(['integrations', 'show', randomUUID()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/HTTP 404 not_found/);

    const unauthorized = await cli(['integrations', 'list'], { env: { UA_EXPORT_TOKEN: 'wrong-token' } });
    expect(unauthorized.code).toBe(2);
    expect(unauthorized.stderr).toMatch(/HTTP 401 unauthorized/);

    const usage = await cli(['backfill', 'start', good.id, '--from', '2026-05-01']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("required option '--to <day>' not specified");
  });

  it('never printed the secret', () => {
    expect(printed.length).toBeGreaterThan(10);
    for (const text of printed) expect(text).not.toContain(SECRET);
  });
});
