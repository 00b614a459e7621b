import { Option } from 'commander';
import { FORMATS, PARQUET_COMPRESSIONS } from '../../export/formats/format.js';
import { resolveSecret } from '../config.js';
import type { CommandGroup } from '../context.js';
import { testConnectionExitCode } from '../exit-codes.js';
import { createIntegrationBody, formatBody, parseEventTypes, parsePositiveInt, type CreateIntegrationOptions, type FormatOptions } from '../requests.js';
import { operationsBody, parseWholeNumber, type OperationsOptions } from '../operations-requests.js';
import { renderIntegration, renderIntegrationList, renderTestConnection } from '../views.js';

// ---- file format (issue 10): the same choices the API accepts; the API still judges the pair.
const formatOption = () => new Option('--format <format>', 'file format: csv (default), csv_gzip or parquet').choices(FORMATS);
const compressionOption = () => new Option('--compression <codec>', 'parquet column compression (default zstd)').choices(PARQUET_COMPRESSIONS);

/** `ua-export integrations list | show | create | set-format | test-connection | enable | disable`. */
export const registerIntegrations: CommandGroup = (program, ctx) => {
  const integrations = program
    .command('integrations')
    .description('List, show, create, test, enable and disable integrations (a customer bucket and what to export into it)')
    .overview({ layout: 'inline' });

  integrations
    .command('list')
    .description('List integrations with their schedule state and last export status, newest first (all of them, page by page)')
    .option('--limit <n>', 'show at most this many', parsePositiveInt)
    .addOption(ctx.jsonOption())
    .action(ctx.fetchAndRender((client, _args: [], opts: { limit?: number; json?: boolean }) => client.listAllIntegrations(opts.limit), renderIntegrationList));

  integrations
    .command('show')
    .description('Show one integration (the secret is never returned; the key id is masked)')
    .argument('<id>', 'integration id')
    .addOption(ctx.jsonOption())
    .action(ctx.fetchAndRender((client, [id]: [string]) => client.getIntegration(id), renderIntegration));

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
    .addOption(formatOption())
    .addOption(compressionOption())
    .addOption(ctx.jsonOption())
    .addHelpText(
      'after',
      '\nThe secret is read, in order, from --secret-access-key, --secret-access-key-stdin, UA_EXPORT_SECRET_ACCESS_KEY,\nor a hidden prompt when stdin is a terminal. It is sent once, stored encrypted and never printed.',
    )
    .overview({ elide: true })
    .action(
      ctx.fetchAndRender(
        async (client, _args: [], opts: CreateIntegrationOptions & { secretAccessKey?: string; secretAccessKeyStdin?: boolean; json?: boolean }) => {
          const secret = await resolveSecret(
            {
              ...(opts.secretAccessKey !== undefined ? { secretAccessKey: opts.secretAccessKey } : {}),
              ...(opts.secretAccessKeyStdin ? { secretAccessKeyStdin: true } : {}),
            },
            ctx.io.env,
            { readable: ctx.io.stdin, prompt: ctx.io.stderr },
          );
          return client.createIntegration(createIntegrationBody(opts, secret));
        },
        (created) => `Created integration ${created.id}\n\n${renderIntegration(created)}\n\nNext: ua-export integrations test-connection ${created.id}`,
      ),
    );

  integrations
    .command('set-format')
    .description("Change the file format of an integration's next exports (already delivered days keep theirs)")
    .argument('<id>', 'integration id')
    .addOption(formatOption())
    .addOption(compressionOption())
    .addOption(ctx.jsonOption())
    .action(
      ctx.fetchAndRender(
        (client, [id]: [string], opts: FormatOptions & { json?: boolean }) => client.patchIntegration(id, formatBody(opts)),
        (i) => `Integration ${i.id} now exports ${i.format}${i.compression ? ` (${i.compression})` : ''}.`,
      ),
    );

  integrations
    .command('test-connection')
    .description("Write, multipart-upload and delete a small probe in the integration's bucket; exit 1 when a step fails")
    .argument('<id>', 'integration id')
    .addOption(ctx.jsonOption())
    .action(ctx.fetchAndRender((client, [id]: [string]) => client.testConnection(id), renderTestConnection, testConnectionExitCode));

  for (const verb of ['enable', 'disable'] as const) {
    integrations
      .command(verb)
      .description(
        verb === 'enable'
          ? 'Enable an integration: its schedule resumes and it can be backfilled'
          : 'Disable an integration: its schedule pauses and backfills are refused (running exports go on)',
      )
      .argument('<id>', 'integration id')
      .addOption(ctx.jsonOption())
      .action(
        ctx.fetchAndRender(
          (client, [id]: [string]) => client.setIntegrationEnabled(id, verb === 'enable'),
          (i) => `Integration ${i.id} ${verb}d; schedule ${i.schedule ? (i.schedule.paused ? 'paused' : 'active') : 'unknown'}.`,
        ),
      );
  }

  // ---- issue 12 (operations): alerts, lookback, auto-pause
  integrations
    .command('operations')
    .description('Set the alert webhook, the lookback and the auto-pause threshold of an integration')
    .argument('<id>', 'integration id')
    .option('--alerts-webhook-url <url>', 'where alert events are POSTed (https)')
    .option('--alerts-format <format>', 'json (default) or slack')
    .option('--no-alerts', 'remove the alert webhook')
    .option('--lookback-days <n>', 're-check this many delivered days in each daily run (0 turns it off)', parseWholeNumber)
    .option('--auto-pause-after-failed-days <n>', 'pause after this many consecutive configuration failures (0 never)', parseWholeNumber)
    .addOption(ctx.jsonOption())
    .addHelpText('after', '\nThe signing secret is read from UA_EXPORT_ALERTS_SECRET (never from the command line, so it stays out of shell history).')
    .overview({ elide: true })
    .action(
      ctx.fetchAndRender(
        (client, [id]: [string], opts: OperationsOptions & { json?: boolean }) =>
          client.patchIntegration(id, operationsBody(opts, ctx.io.env['UA_EXPORT_ALERTS_SECRET'])),
        (i) => `Integration ${i.id} updated.\n\n${renderIntegration(i)}`,
      ),
    );

  integrations
    .command('alerts-test')
    .description("Send a test event to the integration's alert webhook; exit 1 when it is not delivered")
    .argument('<id>', 'integration id')
    .addOption(ctx.jsonOption())
    .action(
      ctx.fetchAndRender(
        (client, [id]: [string]) => client.testAlerts(id),
        (r) => (r.delivered ? `Delivered (HTTP ${r.status}) in ${r.durationMs} ms, event ${r.eventId}` : `Not delivered: ${r.error}`),
        (r) => (r.delivered ? 0 : 1),
      ),
    );
  // ---- end issue 12
};
