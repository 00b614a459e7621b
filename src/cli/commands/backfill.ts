import type { Command } from 'commander';
import { TABLES } from '../../export/tables.js';
import type { ApiClient } from '../client.js';
import type { CliContext, CommandGroup } from '../context.js';
import { backfillExitCode, EXIT } from '../exit-codes.js';
import { parseIntervalSeconds, parsePositiveInt, parseTables, startBackfillBody } from '../requests.js';
import type { BackfillView, TableName } from '../types.js';
import { renderBackfill, renderBackfillList, renderBackfillStarted, renderBackfillSummary, renderCancel, renderPause } from '../views.js';
import { barReporter, lineReporter, watchBackfill, type ProgressReporter } from '../watch.js';

const DEFAULT_INTERVAL_MS = 1000;

/** `ua-export backfill start | status | list | cancel | pause | resume`: exports of a range of past days. */
export const registerBackfill: CommandGroup = (program, ctx) => {
  const backfill = program.command('backfill').description('Export a range of past days: start, follow, list, pause, resume and cancel backfills');

  const watchOptions = <C extends Command>(c: C) =>
    c
      .option('--watch', 'follow progress until the backfill ends; exit 1 if it failed, was cancelled or any day failed')
      .option('--interval <seconds>', 'seconds between polls with --watch (default 1)', parseIntervalSeconds);

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
    .addOption(ctx.jsonOption())
    .addHelpText(
      'after',
      '\nStarting the same range and tables again while it runs returns the running backfill.\nCtrl-C while watching stops watching only; the backfill keeps running.',
    )
    .overview({ options: ['--from', '--to', '--tables', '--concurrency', '--watch'], bare: true })
    .action(
      ctx.action(
        async (
          integrationId: string,
          opts: { from: string; to: string; tables?: TableName[]; concurrency?: number; watch?: boolean; interval?: number; json?: boolean },
          cmd: Command,
        ) => {
          const client = ctx.clientFor(cmd);
          const started = await client.startBackfill(integrationId, startBackfillBody(opts));
          if (!opts.watch) return ctx.emit(started, opts.json, (s) => renderBackfillStarted(s, integrationId));
          // With --json, stdout carries only the final JSON; the rest goes to stderr.
          const header = `Backfill ${started.backfillId}: ${started.totalDays} day${started.totalDays === 1 ? '' : 's'} · Temporal UI ${started.uiUrl}`;
          if (opts.json) ctx.err(header);
          else ctx.out(header);
          return follow(ctx, client, integrationId, started.backfillId, opts);
        },
      ),
    );

  watchOptions(
    backfill
      .command('status')
      .description("A backfill's progress: days, rows, bytes, failed days with their errors")
      .argument('<integrationId>', 'integration id')
      .argument('<backfillId>', 'backfill id (from `backfill start` or `backfill list`)'),
  )
    .addOption(ctx.jsonOption())
    .overview({ options: ['--watch'] })
    .action(
      ctx.action(async (integrationId: string, backfillId: string, opts: { watch?: boolean; interval?: number; json?: boolean }, cmd: Command) => {
        const client = ctx.clientFor(cmd);
        if (opts.watch) return follow(ctx, client, integrationId, backfillId, opts);
        ctx.emit(await client.getBackfill(integrationId, backfillId), opts.json, (b) => renderBackfill(b, ctx.now()));
      }),
    );

  backfill
    .command('list')
    .description("An integration's recent backfills, newest first")
    .argument('<integrationId>', 'integration id')
    .option('--limit <n>', 'how many (API default 20, at most 100)', parsePositiveInt)
    .addOption(ctx.jsonOption())
    .action(
      ctx.fetchAndRender(
        (client, [integrationId]: [string], opts: { limit?: number; json?: boolean }) => client.listBackfills(integrationId, opts.limit),
        renderBackfillList,
      ),
    );

  backfill
    .command('cancel')
    .description('Cancel a running backfill: in-flight days abort their uploads, completed days stay')
    .argument('<integrationId>', 'integration id')
    .argument('<backfillId>', 'backfill id')
    .addOption(ctx.jsonOption())
    .action(
      ctx.fetchAndRender(
        (client, [integrationId, backfillId]: [string, string]) => client.cancelBackfill(integrationId, backfillId),
        (r, [integrationId]) => renderCancel(r, integrationId),
      ),
    );

  for (const verb of ['pause', 'resume'] as const) {
    backfill
      .command(verb)
      .description(
        verb === 'pause'
          ? 'Pause a running backfill: no new day starts, days already running finish, its place is kept'
          : 'Resume a paused backfill from the first day not yet started',
      )
      .argument('<integrationId>', 'integration id')
      .argument('<backfillId>', 'backfill id')
      .addOption(ctx.jsonOption())
      .action(
        ctx.fetchAndRender(
          (client, [integrationId, backfillId]: [string, string]) => client.setBackfillPaused(integrationId, backfillId, verb === 'pause'),
          (r, [integrationId]) => renderPause(r, integrationId),
        ),
      );
  }
};

/** Follows a backfill to its end; prints the summary (or JSON) and returns the exit code. */
async function follow(
  ctx: CliContext,
  client: ApiClient,
  integrationId: string,
  backfillId: string,
  opts: { json?: boolean; interval?: number },
): Promise<number> {
  const { io } = ctx;
  const mode = io.progress ?? 'auto';
  const reporter: ProgressReporter = mode === 'bar' || (mode === 'auto' && io.stderr.isTTY) ? barReporter(io.stderr) : lineReporter((line) => ctx.err(line));
  const ac = new AbortController();
  const off = (io.onInterrupt ?? onSigint)(() => ac.abort());
  let result;
  try {
    result = await watchBackfill({
      read: (signal) => client.getBackfill(integrationId, backfillId, signal),
      reporter,
      intervalMs: opts.interval ?? DEFAULT_INTERVAL_MS,
      signal: ac.signal,
      now: ctx.now,
      ...(io.sleep ? { sleep: io.sleep } : {}),
    });
  } finally {
    off();
  }
  if (result.kind === 'interrupted') {
    ctx.err(
      [
        `Stopped watching. The backfill was NOT cancelled: ${backfillId} keeps running on the server.`,
        `  follow again: ua-export backfill status ${integrationId} ${backfillId} --watch`,
        `  cancel it:    ua-export backfill cancel ${integrationId} ${backfillId}`,
      ].join('\n'),
    );
    return EXIT.INTERRUPTED;
  }
  const b: BackfillView = result.backfill;
  ctx.emit(b, opts.json, (v) => renderBackfillSummary(v, ctx.now()));
  return backfillExitCode(b);
}

function onSigint(handler: () => void): () => void {
  process.on('SIGINT', handler);
  return () => process.removeListener('SIGINT', handler);
}
