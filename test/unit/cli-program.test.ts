import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { backfillView, sink } from '../helpers/cli-fixtures.js';
import { runCli, type CliIo } from '../../src/cli/program.js';

/** runCli end to end with a fake API: which requests each command line makes, what it prints, its exit code. */

type Call = { method: string; path: string; query: Record<string, string>; auth: string | undefined; body: unknown };
type Route = (call: Call) => { status: number; body: unknown } | undefined;

const INTEGRATION = '6f1c2b1e-8d0a-4c7e-9a51-0c1d2e3f4a5b';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';

async function run(argv: string[], route: Route, opts: { env?: Record<string, string>; stdin?: string } = {}) {
  const calls: Call[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const call: Call = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      auth: (init?.headers as Record<string, string>).authorization,
      // ApiClient sends JSON.stringify's output.
      body: init?.body ? JSON.parse(init.body as string) : undefined,
    };
    calls.push(call);
    const r = route(call) ?? { status: 404, body: { error: 'not_found', message: `no route ${call.method} ${call.path}`, details: [] } };
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  const stdout = sink();
  const stderr = sink();
  const stdin = new PassThrough();
  if (opts.stdin !== undefined) stdin.end(opts.stdin);
  else stdin.end();
  const io: CliIo = {
    stdout,
    stderr,
    stdin,
    env: { UA_EXPORT_TOKEN: 'tok', UA_EXPORT_API_URL: 'http://api.test', ...opts.env },
    fetch: fetchFn,
    sleep: async () => undefined,
    onInterrupt: () => () => undefined,
    progress: 'lines',
    now: () => new Date('2026-05-13T10:00:30.000Z'),
  };
  const code = await runCli(argv, io);
  return { code, calls, stdout: stdout.text(), stderr: stderr.text() };
}

const ok = (body: unknown, status = 200) => ({ status, body });

function backfillBody(over: Record<string, unknown> = {}) {
  const id = `ua-backfill-${INTEGRATION}-2026-05-10-2026-05-12-all`;
  return { ...backfillView({ backfillId: id, workflowId: id, runId: 'r', concurrency: 1, uiUrl: 'http://temporal.test/wf' }), ...over };
}

describe('help and usage', () => {
  it('--help lists every command group and exits 0', async () => {
    const r = await run(['--help'], () => undefined);
    expect(r.code).toBe(0);
    for (const word of ['integrations', 'backfill', 'schedule', 'exports', 'test-connection', 'UA_EXPORT_TOKEN', 'Exit codes'])
      expect(r.stdout).toContain(word);
    expect(r.calls).toHaveLength(0);
  });

  it('has --help on every subcommand, with the global options', async () => {
    for (const argv of [['integrations', 'create'], ['backfill', 'start'], ['backfill', 'status'], ['schedule', 'pause'], ['exports']]) {
      const r = await run([...argv, '--help'], () => undefined);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: ua-export ${argv.join(' ')}`);
      expect(r.stdout).toContain('--api-url');
      expect(r.stdout).toContain('--json');
    }
  });

  it('exits 2 on usage errors without calling the API', async () => {
    for (const argv of [
      ['backfil'],
      ['backfill', 'start', INTEGRATION, '--to', '2026-05-12'],
      ['backfill', 'start', INTEGRATION, '--from', 'a', '--to', 'b', '--concurrency', 'x'],
      ['exports', INTEGRATION, '--table', 'nope'],
      ['integrations', 'list', '--bogus'],
    ]) {
      const r = await run(argv, () => undefined);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error: /);
      expect(r.calls).toHaveLength(0);
    }
  });

  it('exits 2 with a clear message when there is no token', async () => {
    const r = await run(['integrations', 'list'], () => undefined, { env: { UA_EXPORT_TOKEN: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no API token');
  });
});

describe('requests made from the command line', () => {
  it('uses --api-url and --token over the environment', async () => {
    const r = await run(['--api-url', 'http://other.test/base', 'integrations', 'list', '--token', 'flagtok'], () => ok({ integrations: [] }));
    expect(r.code).toBe(0);
    expect(r.calls[0]).toMatchObject({ method: 'GET', path: '/base/v1/integrations', auth: 'Bearer flagtok' });
    expect(r.stdout).toContain('No integrations yet');
  });

  it('creates an integration with the secret from stdin, never printing it', async () => {
    const r = await run(
      [
        'integrations',
        'create',
        '--app-id',
        'a1',
        '--endpoint-url',
        'https://s3.test',
        '--bucket',
        'b',
        '--access-key-id',
        'AKIA1',
        '--secret-access-key-stdin',
        '--no-path-style',
        '--event-types',
        'install,trial_started',
        '--json',
      ],
      (c) => (c.method === 'POST' ? ok({ id: INTEGRATION, accessKeyId: '****KIA1' }, 201) : undefined),
      { stdin: `${SECRET}\n` },
    );
    expect(r.code).toBe(0);
    expect(r.calls[0]).toMatchObject({
      method: 'POST',
      path: '/v1/integrations',
      body: {
        appId: 'a1',
        endpointUrl: 'https://s3.test',
        bucket: 'b',
        accessKeyId: 'AKIA1',
        secretAccessKey: SECRET,
        forcePathStyle: false,
        settings: { eventTypes: ['install', 'trial_started'] },
      },
    });
    expect(JSON.parse(r.stdout)).toEqual({ id: INTEGRATION, accessKeyId: '****KIA1' });
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('maps backfill start, list, cancel; schedule pause with a note, trigger; enable/disable; the exports range', async () => {
    const route: Route = (c) => {
      if (c.method === 'POST' && c.path.endsWith('/backfills'))
        return ok({ backfillId: 'ua-backfill-x', workflowId: 'ua-backfill-x', runId: 'r', status: 'running', totalDays: 3, uiUrl: 'http://t' }, 202);
      if (c.method === 'GET' && c.path.endsWith('/backfills')) return ok({ backfills: [] });
      if (c.method === 'DELETE')
        return ok(
          {
            backfillId: 'ua-backfill-x',
            status: 'cancelling',
            message: 'cancellation requested: in-flight days abort their uploads; completed days stay. Poll GET …',
          },
          202,
        );
      if (c.path.endsWith('/schedule/pause'))
        return ok({
          scheduleId: 's',
          paused: true,
          note: (c.body as { note?: string }).note ?? null,
          nextRunTimes: [],
          recentRuns: [],
          pauses: [],
          uiUrl: 'http://t',
        });
      if (c.path.endsWith('/schedule/trigger'))
        return ok({ scheduleId: 's', day: '2026-05-12', exportWorkflowId: 'ua-export-x-2026-05-12', uiUrl: 'http://t' }, 202);
      if (c.method === 'PATCH')
        return ok({ id: INTEGRATION, enabled: (c.body as { enabled: boolean }).enabled, schedule: { paused: !(c.body as { enabled: boolean }).enabled } });
      if (c.path.endsWith('/exports'))
        return ok({
          integrationId: INTEGRATION,
          from: '2026-05-10',
          to: '2026-05-10',
          summary: { succeeded: 0, failed: 0, running: 0, cancelled: 0, missing: 2 },
          entries: [],
        });
      return undefined;
    };
    const start = await run(
      ['backfill', 'start', INTEGRATION, '--from', '2026-05-10', '--to', '2026-05-12', '--tables', 'ua_events', '--concurrency', '2'],
      route,
    );
    expect(start.code).toBe(0);
    expect(start.calls[0]).toMatchObject({
      method: 'POST',
      path: `/v1/integrations/${INTEGRATION}/backfills`,
      body: { from: '2026-05-10', to: '2026-05-12', tables: ['ua_events'], concurrency: 2 },
    });
    expect(start.stdout).toContain(`ua-export backfill status ${INTEGRATION} ua-backfill-x --watch`);

    const list = await run(['backfill', 'list', INTEGRATION, '--limit', '5'], route);
    expect(list.calls[0]).toMatchObject({ method: 'GET', query: { limit: '5' } });

    const cancel = await run(['backfill', 'cancel', INTEGRATION, 'ua-backfill-x'], route);
    expect(cancel.calls[0]).toMatchObject({ method: 'DELETE', path: `/v1/integrations/${INTEGRATION}/backfills/ua-backfill-x` });
    expect(cancel.stdout).toContain('Cancelling ua-backfill-x');

    const pause = await run(['schedule', 'pause', INTEGRATION, '--note', 'migrating the bucket'], route);
    expect(pause.calls[0]).toMatchObject({ method: 'POST', path: `/v1/integrations/${INTEGRATION}/schedule/pause`, body: { note: 'migrating the bucket' } });
    expect(pause.stdout).toMatch(/state\s+paused/);
    expect(pause.stdout).toMatch(/note\s+migrating the bucket/);

    const trigger = await run(['schedule', 'trigger', INTEGRATION], route);
    expect(trigger.calls[0]).toMatchObject({ method: 'POST', path: `/v1/integrations/${INTEGRATION}/schedule/trigger`, body: {} });
    expect(trigger.stdout).toContain('exporting 2026-05-12');

    const enable = await run(['integrations', 'enable', INTEGRATION], route);
    expect(enable.calls[0]).toMatchObject({ method: 'PATCH', path: `/v1/integrations/${INTEGRATION}`, body: { enabled: true } });
    expect(enable.stdout).toBe(`Integration ${INTEGRATION} enabled; schedule active.\n`);
    const disable = await run(['integrations', 'disable', INTEGRATION, '--json'], route);
    expect(disable.calls[0]!.body).toEqual({ enabled: false });

    const ledger = await run(['exports', INTEGRATION, '--from', '2026-05-10', '--to', '2026-05-10', '--table', 'ua_events'], route);
    expect(ledger.calls[0]).toMatchObject({
      path: `/v1/integrations/${INTEGRATION}/exports`,
      query: { from: '2026-05-10', to: '2026-05-10', table: 'ua_events' },
    });
  });
});

describe('errors', () => {
  const invalid: Route = () => ({
    status: 400,
    body: {
      error: 'validation_failed',
      message: 'request is invalid: from: must be a real calendar day as YYYY-MM-DD, got "2026-02-30"',
      details: [{ field: 'from', rule: 'must be a real calendar day as YYYY-MM-DD, got "2026-02-30"' }],
      requestId: 'r1',
    },
  });

  it("prints the API's field and rule on stderr and exits 2", async () => {
    const r = await run(['backfill', 'start', INTEGRATION, '--from', '2026-02-30', '--to', '2026-03-01'], invalid);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      'error: request is invalid (HTTP 400 validation_failed)',
      '  from: must be a real calendar day as YYYY-MM-DD, got "2026-02-30"',
      '',
    ]);
  });

  it('with --json also puts the error body on stdout', async () => {
    const r = await run(['backfill', 'start', INTEGRATION, '--from', '2026-02-30', '--to', '2026-03-01', '--json'], invalid);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'validation_failed', details: [{ field: 'from' }] });
  });

  it('exits 1 when the connection test ran and failed', async () => {
    const r = await run(['integrations', 'test-connection', INTEGRATION], () =>
      ok({
        ok: false,
        endpoint: 'https://s3.test',
        bucket: 'b',
        probePrefix: 'p',
        partChecksum: null,
        steps: [{ name: 'put_object', ok: false, skipped: false, error: 'access denied', durationMs: 3 }],
      }),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Connection FAILED');
  });
});

describe('--watch', () => {
  it('prints progress lines on stderr, a summary on stdout, and exits 0 when every day completed', async () => {
    const states = [
      backfillBody(),
      backfillBody({ completedDays: 1, rows: 10, bytes: 100 }),
      backfillBody({ completedDays: 1, rows: 10, bytes: 100 }),
      backfillBody({ status: 'completed', completedDays: 3, rows: 30, bytes: 300, finishedAt: '2026-05-13T10:00:20.000Z' }),
    ];
    let i = 0;
    const r = await run(['backfill', 'start', INTEGRATION, '--from', '2026-05-10', '--to', '2026-05-12', '--watch', '--interval', '0.2'], (c) =>
      c.method === 'POST'
        ? ok({ backfillId: states[0]!.backfillId, workflowId: states[0]!.workflowId, runId: 'r', status: 'running', totalDays: 3, uiUrl: 'http://t' }, 202)
        : ok(states[Math.min(i++, states.length - 1)]),
    );
    expect(r.code).toBe(0);
    const progress = r.stderr.trim().split('\n');
    expect(progress).toEqual([
      'running: 0/3 days · 0 rows · 0 B · elapsed 30s · ETA --',
      'running: 1/3 days · 10 rows · 100 B · elapsed 30s · ETA 1m 00s',
      'completed: 3/3 days · 30 rows · 300 B · elapsed 20s',
    ]);
    expect(r.stdout).toContain('Backfill completed');
    expect(r.stdout).toMatch(/days\s+3 total · 3 completed · 0 failed/);
    expect(r.calls.filter((c) => c.method === 'GET')).toHaveLength(4);
  });

  it('exits 1 and shows each failed day with its error', async () => {
    const done = backfillBody({
      status: 'completed_with_failures',
      completedDays: 2,
      failedDays: [{ day: '2026-05-11', error: 'access denied: grant s3:PutObject' }],
      finishedAt: '2026-05-13T10:00:20.000Z',
    });
    const r = await run(['backfill', 'status', INTEGRATION, done.backfillId, '--watch'], () => ok(done));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Backfill completed with 1 failed day');
    expect(r.stdout).toContain('2026-05-11  access denied: grant s3:PutObject');
  });

  it('with --json prints only the final JSON on stdout', async () => {
    const done = backfillBody({ status: 'cancelled', finishedAt: '2026-05-13T10:00:20.000Z' });
    const r = await run(['backfill', 'status', INTEGRATION, done.backfillId, '--watch', '--json'], () => ok(done));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual(done);
  });

  it('Ctrl-C stops watching, does not cancel, says how to cancel, exits 130', async () => {
    let interrupt: () => void = () => undefined;
    const calls: string[] = [];
    const stdout = sink();
    const stderr = sink();
    const io: CliIo = {
      stdout,
      stderr,
      stdin: new PassThrough(),
      env: { UA_EXPORT_TOKEN: 'tok' },
      fetch: async (input: string | URL | Request, init?: RequestInit) => {
        calls.push(`${init?.method ?? 'GET'} ${new URL(input instanceof Request ? input.url : String(input)).pathname}`);
        setTimeout(() => interrupt(), 5);
        return new Response(JSON.stringify(backfillBody()), { status: 200 });
      },
      onInterrupt: (h) => {
        interrupt = h;
        return () => (interrupt = () => undefined);
      },
      progress: 'lines',
    };
    const code = await runCli(['backfill', 'status', INTEGRATION, 'ua-backfill-x', '--watch', '--interval', '30'], io);
    expect(code).toBe(130);
    expect(calls.every((c) => c.startsWith('GET'))).toBe(true);
    expect(stderr.text()).toContain('Stopped watching. The backfill was NOT cancelled');
    expect(stderr.text()).toContain(`ua-export backfill cancel ${INTEGRATION} ua-backfill-x`);
  });
});
