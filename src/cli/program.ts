import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ApiClient, ApiRequestError, CliError, formatApiError } from './client.js';
import { resolveConnection, resolveSecret, type SecretInput } from './config.js';
import { backfillExitCode, EXIT, exitCodeForError, testConnectionExitCode } from './exit-codes.js';
import {
  createIntegrationBody,
  exportsQuery,
  parseEventTypes,
  parseIntervalSeconds,
  parsePositiveInt,
  parseTables,
  startBackfillBody,
  type CreateIntegrationOptions,
} from './requests.js';
import { TABLES } from '../export/tables.js';
import type { BackfillView, TableName } from './types.js';
import {
  renderBackfill,
  renderBackfillList,
  renderBackfillStarted,
  renderBackfillSummary,
  renderCancel,
  renderEventTypes,
  renderIntegration,
  renderIntegrationList,
  renderLedger,
  renderSchedule,
  renderTestConnection,
  renderTrigger,
} from './views.js';
import { barReporter, lineReporter, watchBackfill, type BarStream, type ProgressReporter } from './watch.js';

/**
 * The `ua-export` command: commander over the HTTP API. `runCli` takes its arguments and its whole
 * world (streams, environment, fetch, clock, Ctrl-C) as parameters and returns the exit code, so it
 * runs the same in `bin/ua-export.js` and in unit tests.
 */

export type OutStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin: SecretInput['readable'];
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => Date;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Registers a Ctrl-C handler for the duration of a watch; returns the unregister function. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Progress display for --watch; `auto` = bar when stderr is a terminal, lines otherwise. */
  progress?: 'auto' | 'bar' | 'lines';
}

const DEFAULT_INTERVAL_MS = 1000;

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const ROOT_HELP = `
All commands (each takes --help):
  integrations list | show <id> | create … | test-connection <id> | enable <id> | disable <id>
  event-types
  backfill start <integrationId> --from <day> --to <day> [--tables] [--concurrency] [--watch]
  backfill status <integrationId> <backfillId> [--watch]
  backfill list <integrationId>
  backfill cancel <integrationId> <backfillId>
  schedule status | pause | resume | trigger <integrationId> [--note <text>]
  exports <integrationId> [--from <day>] [--to <day>] [--table <name>]

Environment:
  UA_EXPORT_API_URL             API base URL (default http://127.0.0.1:3000); --api-url overrides
  UA_EXPORT_TOKEN               bearer token; --token overrides; falls back to the first of API_TOKENS
  UA_EXPORT_SECRET_ACCESS_KEY   secret for 'integrations create' (or pipe it: --secret-access-key-stdin)

Output:
  Human-readable tables by default; --json prints the API's JSON on stdout. Errors go to stderr,
  one line per problem. --watch shows progress on stderr (a bar on a terminal, one line per change
  in logs and pipes) and ends with a summary on stdout.

Exit codes:
  0  success
  1  the operation ran but failed (failed days, failed or cancelled backfill, failed connection test)
  2  the API refused the request or could not be reached, or the command line is wrong
  130  interrupted (Ctrl-C while watching; the backfill keeps running)

Examples:
  export UA_EXPORT_API_URL=http://127.0.0.1:3000 UA_EXPORT_TOKEN=…
  ua-export integrations list
  printf %s "$SECRET" | ua-export integrations create --app-id <uuid> --endpoint-url https://s3.eu-central-1.amazonaws.com \\
      --bucket my-bucket --folder ua --region eu-central-1 --access-key-id AKIA… --secret-access-key-stdin
  ua-export integrations test-connection <id>
  ua-export backfill start <id> --from 2026-05-01 --to 2026-05-31 --watch
  ua-export schedule pause <id> --note "bucket migration"
  ua-export exports <id> --from 2026-05-01 --to 2026-05-31
`;

interface State {
  json: boolean;
  exitCode: number;
}

export function buildProgram(io: CliIo, state: State): Command {
  const write = (stream: OutStream, text: string) => stream.write(text.endsWith('\n') ? text : `${text}\n`);
  const out = (text: string) => write(io.stdout, text);
  const err = (text: string) => write(io.stderr, text);
  const printJson = (value: unknown) => out(JSON.stringify(value, null, 2));
  const now = io.now ?? (() => new Date());

  const program = new Command();
  program
    .name('ua-export')
    .description('Manage ua-export over its HTTP API: integrations, backfills, schedules and the export ledger.')
    .version(packageVersion(), '-V, --version')
    .option('--api-url <url>', 'API base URL (env UA_EXPORT_API_URL, default http://127.0.0.1:3000)')
    .option('--token <token>', 'API bearer token (env UA_EXPORT_TOKEN, else the first of API_TOKENS)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      getOutHelpWidth: () => (io.stdout.isTTY && io.stdout.columns) || 80,
      getErrHelpWidth: () => (io.stderr.isTTY && io.stderr.columns) || 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', ROOT_HELP);

  /** The API client for a command, from the global flags and the environment. */
  const clientFor = (cmd: Command): ApiClient => {
    const g = cmd.optsWithGlobals<{ apiUrl?: string; token?: string }>();
    const c = resolveConnection({ apiUrl: g.apiUrl, token: g.token }, io.env);
    return new ApiClient({ baseUrl: c.apiUrl, token: c.token, ...(io.fetch ? { fetch: io.fetch } : {}), userAgent: `ua-export-cli/${packageVersion()}` });
  };

  /** Wraps an action: records --json (for error output) and the exit code it returns. */
  const action =
    <A extends unknown[]>(fn: (...args: A) => Promise<number | void>) =>
    async (...args: A) => {
      const cmd = args[args.length - 1] as Command;
      state.json = Boolean(cmd.opts<{ json?: boolean }>().json);
      state.exitCode = (await fn(...args)) ?? EXIT.OK;
    };

  const jsonOption = () => new Option('--json', "print the API's JSON response on stdout instead of a table");

  // ── integrations ───────────────────────────────────────────────────────────
  const integrations = program
    .command('integrations')
    .description('List, show, create, test, enable and disable integrations (a customer bucket and what to export into it)');

  integrations
    .command('list')
    .description('List integrations with their schedule state and last export status')
    .addOption(jsonOption())
    .action(
      action(async (opts: { json?: boolean }, cmd: Command) => {
        const list = await clientFor(cmd).listIntegrations();
        if (opts.json) printJson(list);
        else out(renderIntegrationList(list));
      }),
    );

  integrations
    .command('show')
    .description('Show one integration (the secret is never returned; the key id is masked)')
    .argument('<id>', 'integration id')
    .addOption(jsonOption())
    .action(
      action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
        const i = await clientFor(cmd).getIntegration(id);
        if (opts.json) printJson(i);
        else out(renderIntegration(i));
      }),
    );

  integrations
    .command('create')
    .description('Create an integration and its daily schedule (paused with --disabled)')
    .requiredOption('--app-id <uuid>', 'the app whose data is exported')
    .requiredOption('--endpoint-url <url>', 'S3-compatible endpoint, e.g. https://s3.eu-central-1.amazonaws.com')
    .requiredOption('--bucket <name>', 'bucket, optionally with folders: "my-bucket/ua"')
    .option('--folder <path>', "folder under the bucket for this integration's files")
    .option('--region <region>', 'bucket region (API default us-east-1; "auto" for R2)')
    .requiredOption('--access-key-id <id>', 'access key id')
    .option('--secret-access-key <key>', 'secret access key (lands in shell history: prefer the next two ways)')
    .option('--secret-access-key-stdin', 'read the secret access key from stdin (a hidden prompt on a terminal)')
    .option('--no-path-style', 'virtual-hosted style requests (bucket.endpoint) instead of path-style')
    .option('--disabled', 'create it disabled: its schedule starts paused')
    .option('--exclude-historical-events', 'skip events created before the integration')
    .option('--include-events-without-profile', 'also export events without a profile')
    .option('--send-user-attributes', 'add the user_attributes column to ua_events')
    .option('--event-types <list>', 'comma-separated event types to export (see `ua-export event-types`), or "all"', parseEventTypes)
    .addOption(jsonOption())
    .addHelpText('after', '\nThe secret is read, in order, from --secret-access-key, --secret-access-key-stdin, UA_EXPORT_SECRET_ACCESS_KEY,\nor a hidden prompt when stdin is a terminal. It is sent once, stored encrypted and never printed.')
    .action(
      action(async (opts: CreateIntegrationOptions & { secretAccessKey?: string; secretAccessKeyStdin?: boolean; json?: boolean }, cmd: Command) => {
        const client = clientFor(cmd);
        const secret = await resolveSecret(
          { ...(opts.secretAccessKey !== undefined ? { secretAccessKey: opts.secretAccessKey } : {}), ...(opts.secretAccessKeyStdin ? { secretAccessKeyStdin: true } : {}) },
          io.env,
          { readable: io.stdin, prompt: io.stderr },
        );
        const created = await client.createIntegration(createIntegrationBody(opts, secret));
        if (opts.json) return void printJson(created);
        out(`Created integration ${created.id}\n\n`);
        out(renderIntegration(created));
        out(`\nNext: ua-export integrations test-connection ${created.id}`);
      }),
    );

  integrations
    .command('test-connection')
    .description("Write, multipart-upload and delete a small probe in the integration's bucket; exit 1 when a step fails")
    .argument('<id>', 'integration id')
    .addOption(jsonOption())
    .action(
      action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
        const r = await clientFor(cmd).testConnection(id);
        if (opts.json) printJson(r);
        else out(renderTestConnection(r));
        return testConnectionExitCode(r);
      }),
    );

  for (const verb of ['enable', 'disable'] as const) {
    integrations
      .command(verb)
      .description(
        verb === 'enable'
          ? 'Enable an integration: its schedule resumes and it can be backfilled'
          : 'Disable an integration: its schedule pauses and backfills are refused (running exports go on)',
      )
      .argument('<id>', 'integration id')
      .addOption(jsonOption())
      .action(
        action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
          const i = await clientFor(cmd).setIntegrationEnabled(id, verb === 'enable');
          if (opts.json) return void printJson(i);
          out(`Integration ${i.id} ${verb}d; schedule ${i.schedule ? (i.schedule.paused ? 'paused' : 'active') : 'unknown'}.`);
        }),
      );
  }

  program
    .command('event-types')
    .description('The exportable event types, for --event-types')
    .addOption(jsonOption())
    .action(
      action(async (opts: { json?: boolean }, cmd: Command) => {
        const c = await clientFor(cmd).eventTypes();
        if (opts.json) printJson(c);
        else out(renderEventTypes(c));
      }),
    );

  // ── backfill ───────────────────────────────────────────────────────────────
  const backfill = program.command('backfill').description('Export a range of past days: start, follow, list and cancel backfills');

  const watchOptions = (c: Command) =>
    c
      .option('--watch', 'follow progress until the backfill ends; exit 1 if it failed, was cancelled or any day failed')
      .option('--interval <seconds>', 'seconds between polls with --watch (default 1)', parseIntervalSeconds);

  /** Follows a backfill to its end; prints the summary (or JSON) and returns the exit code. */
  const follow = async (client: ApiClient, integrationId: string, backfillId: string, opts: { json?: boolean; interval?: number }): Promise<number> => {
    const mode = io.progress ?? 'auto';
    const reporter: ProgressReporter =
      mode === 'bar' || (mode === 'auto' && io.stderr.isTTY) ? barReporter(io.stderr as BarStream) : lineReporter((line) => err(line));
    const ac = new AbortController();
    const off = (io.onInterrupt ?? onSigint)(() => ac.abort());
    let result;
    try {
      result = await watchBackfill({
        read: (signal) => client.getBackfill(integrationId, backfillId, signal),
        reporter,
        intervalMs: opts.interval ?? DEFAULT_INTERVAL_MS,
        signal: ac.signal,
        now,
        ...(io.sleep ? { sleep: io.sleep } : {}),
      });
    } finally {
      off();
    }
    if (result.kind === 'interrupted') {
      err(
        [
          `Stopped watching. The backfill was NOT cancelled: ${backfillId} keeps running on the server.`,
          `  follow again: ua-export backfill status ${integrationId} ${backfillId} --watch`,
          `  cancel it:    ua-export backfill cancel ${integrationId} ${backfillId}`,
        ].join('\n'),
      );
      return EXIT.INTERRUPTED;
    }
    const b: BackfillView = result.backfill;
    if (opts.json) printJson(b);
    else out(renderBackfillSummary(b, now()));
    return backfillExitCode(b);
  };

  watchOptions(
    backfill
      .command('start')
      .description('Start a backfill of past days (both tables unless --tables); with --watch follow it to the end')
      .argument('<integrationId>', 'integration id')
      .requiredOption('--from <day>', 'first day, YYYY-MM-DD (UTC)')
      .requiredOption('--to <day>', 'last day, inclusive, before today (UTC)')
      .option('--tables <list>', `comma-separated: ${TABLES.join(',')} (default both)`, parseTables)
      .option('--concurrency <n>', 'days exported at once (API default BACKFILL_DEFAULT_CONCURRENCY)', parsePositiveInt),
  )
    .addOption(jsonOption())
    .addHelpText('after', '\nStarting the same range and tables again while it runs returns the running backfill.\nCtrl-C while watching stops watching only; the backfill keeps running.')
    .action(
      action(async (integrationId: string, opts: { from: string; to: string; tables?: TableName[]; concurrency?: number; watch?: boolean; interval?: number; json?: boolean }, cmd: Command) => {
        const client = clientFor(cmd);
        const started = await client.startBackfill(integrationId, startBackfillBody(opts));
        if (!opts.watch) {
          if (opts.json) printJson(started);
          else out(renderBackfillStarted(started, integrationId));
          return;
        }
        // With --json, stdout carries only the final JSON; the rest goes to stderr.
        const header = `Backfill ${started.backfillId}: ${started.totalDays} day${started.totalDays === 1 ? '' : 's'} · Temporal UI ${started.uiUrl}`;
        if (opts.json) err(header);
        else out(header);
        return follow(client, integrationId, started.backfillId, opts);
      }),
    );

  watchOptions(
    backfill
      .command('status')
      .description("A backfill's progress: days, rows, bytes, failed days with their errors")
      .argument('<integrationId>', 'integration id')
      .argument('<backfillId>', 'backfill id (from `backfill start` or `backfill list`)'),
  )
    .addOption(jsonOption())
    .action(
      action(async (integrationId: string, backfillId: string, opts: { watch?: boolean; interval?: number; json?: boolean }, cmd: Command) => {
        const client = clientFor(cmd);
        if (opts.watch) return follow(client, integrationId, backfillId, opts);
        const b = await client.getBackfill(integrationId, backfillId);
        if (opts.json) printJson(b);
        else out(renderBackfill(b, now()));
      }),
    );

  backfill
    .command('list')
    .description("An integration's recent backfills, newest first")
    .argument('<integrationId>', 'integration id')
    .option('--limit <n>', 'how many (API default 20, at most 100)', parsePositiveInt)
    .addOption(jsonOption())
    .action(
      action(async (integrationId: string, opts: { limit?: number; json?: boolean }, cmd: Command) => {
        const list = await clientFor(cmd).listBackfills(integrationId, opts.limit);
        if (opts.json) printJson(list);
        else out(renderBackfillList(list));
      }),
    );

  backfill
    .command('cancel')
    .description('Cancel a running backfill: in-flight days abort their uploads, completed days stay')
    .argument('<integrationId>', 'integration id')
    .argument('<backfillId>', 'backfill id')
    .addOption(jsonOption())
    .action(
      action(async (integrationId: string, backfillId: string, opts: { json?: boolean }, cmd: Command) => {
        const r = await clientFor(cmd).cancelBackfill(integrationId, backfillId);
        if (opts.json) printJson(r);
        else out(renderCancel(r, integrationId));
      }),
    );

  // ── schedule ───────────────────────────────────────────────────────────────
  const schedule = program.command('schedule').description("An integration's daily schedule (04:00 UTC, exports the previous day)");

  schedule
    .command('status')
    .description('Paused or active, its note, next and recent runs')
    .argument('<integrationId>', 'integration id')
    .addOption(jsonOption())
    .action(
      action(async (integrationId: string, opts: { json?: boolean }, cmd: Command) => {
        const s = await clientFor(cmd).getSchedule(integrationId);
        if (opts.json) printJson(s);
        else out(renderSchedule(s));
      }),
    );

  for (const verb of ['pause', 'resume'] as const) {
    schedule
      .command(verb)
      .description(verb === 'pause' ? 'Pause the daily schedule (runs already started go on; missed days catch up on resume)' : 'Resume the daily schedule')
      .argument('<integrationId>', 'integration id')
      .option('--note <text>', 'why (shown with the schedule in the Temporal UI)')
      .addOption(jsonOption())
      .action(
        action(async (integrationId: string, opts: { note?: string; json?: boolean }, cmd: Command) => {
          const client = clientFor(cmd);
          const s = verb === 'pause' ? await client.pauseSchedule(integrationId, opts.note) : await client.resumeSchedule(integrationId, opts.note);
          if (opts.json) printJson(s);
          else out(`Schedule ${verb === 'pause' ? 'paused' : 'resumed'}.\n${renderSchedule(s)}`);
        }),
      );
  }

  schedule
    .command('trigger')
    .description('Export the previous UTC day now')
    .argument('<integrationId>', 'integration id')
    .addOption(jsonOption())
    .action(
      action(async (integrationId: string, opts: { json?: boolean }, cmd: Command) => {
        const t = await clientFor(cmd).triggerSchedule(integrationId);
        if (opts.json) printJson(t);
        else out(renderTrigger(t));
      }),
    );

  // ── exports ────────────────────────────────────────────────────────────────
  program
    .command('exports')
    .description('The export ledger: per day and table, status, rows and bytes; days never exported show as missing')
    .argument('<integrationId>', 'integration id')
    .option('--from <day>', 'first day (default: 30 days before --to)')
    .option('--to <day>', 'last day, inclusive (default: yesterday, UTC)')
    .addOption(new Option('--table <name>', 'one table only (default both)').choices(TABLES))
    .addOption(jsonOption())
    .action(
      action(async (integrationId: string, opts: { from?: string; to?: string; table?: string; json?: boolean }, cmd: Command) => {
        const x = await clientFor(cmd).exports(integrationId, exportsQuery(opts));
        if (opts.json) printJson(x);
        else out(renderLedger(x));
      }),
    );

  return program;
}

function onSigint(handler: () => void): () => void {
  process.on('SIGINT', handler);
  return () => process.removeListener('SIGINT', handler);
}

/** Runs `ua-export` with `argv` (without node and the script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const state: State = { json: false, exitCode: EXIT.OK };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (e) {
    return reportError(e, io, state);
  }
}

function reportError(e: unknown, io: CliIo, state: State): number {
  const err = (text: string) => io.stderr.write(`${text}\n`);
  if (e instanceof CommanderError) {
    // Commander printed the message (or the help) already.
    return exitCodeForError(e);
  }
  if (e instanceof ApiRequestError) {
    if (state.json) io.stdout.write(`${JSON.stringify(e.raw, null, 2)}\n`);
    for (const line of formatApiError(e)) err(line);
    return exitCodeForError(e);
  }
  if (e instanceof CliError) {
    err(`error: ${e.message}`);
    return exitCodeForError(e);
  }
  err(`error: ${e instanceof Error ? e.message : String(e)}`);
  if (io.env.UA_EXPORT_DEBUG && e instanceof Error && e.stack) err(e.stack);
  return EXIT.ERROR;
}
