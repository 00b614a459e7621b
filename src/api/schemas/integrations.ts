import { Type, type Static } from '@fastify/type-provider-typebox';
import { DateTime, Nullable, pageQueryFields, Uuid } from './common.js';

export const EventTypeList = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  minItems: 1,
  maxItems: 100,
  description: 'Event types to export (see GET /v1/event-types); null or absent exports every type, including types added later',
});

export const SettingsInput = Type.Object(
  {
    excludeHistoricalEvents: Type.Optional(Type.Boolean({ description: 'Skip events created before the integration was (default false)' })),
    includeEventsWithoutProfile: Type.Optional(Type.Boolean({ description: 'Also export events that have no profile (default false)' })),
    sendUserAttributes: Type.Optional(Type.Boolean({ description: 'Add the user_attributes column to ua_events (default false)' })),
    eventTypes: Type.Optional(Nullable(EventTypeList)),
  },
  { additionalProperties: false },
);

export const Settings = Type.Object({
  excludeHistoricalEvents: Type.Boolean(),
  includeEventsWithoutProfile: Type.Boolean(),
  sendUserAttributes: Type.Boolean(),
  eventTypes: Nullable(Type.Array(Type.String())),
});

// ---- issue 12 (operations): alerts, lookback, auto-pause
export const ALERT_EVENT_NAMES =
  'export.failed, export.recovered, integration.auto_paused, export.redelivered, export.repaired, backfill.completed (and alert.test)';

export const AlertsInput = Type.Object(
  {
    webhookUrl: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'Where events are POSTed. Checked like endpointUrl: https (plain http only where the server allows it), no link-local or metadata addresses',
    }),
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('slack')], {
        description: `json (default): the event as JSON; slack: a Slack incoming-webhook message. Events: ${ALERT_EVENT_NAMES}`,
      }),
    ),
    secret: Type.Optional(
      Type.String({
        maxLength: 256,
        writeOnly: true,
        description:
          'Signs each request: X-UA-Export-Signature: sha256=<hex HMAC-SHA256 of X-UA-Export-Timestamp + "." + raw body>. Stored encrypted, never returned; omitted on PATCH keeps the stored one, "" removes it',
      }),
    ),
  },
  { additionalProperties: false },
);

const opsFields = {
  alerts: Type.Union([AlertsInput, Type.Null()], { description: 'Alert webhook; null removes it' }),
  lookbackDays: Type.Integer({
    minimum: 0,
    maximum: 31,
    description: 'Each daily run re-checks this many delivered days before it and re-delivers a day whose source changed (default 3; 0 turns it off)',
  }),
  autoPauseAfterFailedDays: Type.Integer({
    minimum: 0,
    maximum: 365,
    description: 'Pause the schedule after this many consecutive scheduled days failed with a configuration error (default 3; 0 never pauses)',
  }),
};

export const AlertsView = Type.Object({
  webhookUrl: Type.String({ description: 'Masked: the origin and the last 4 characters of the path (a webhook path is often its credential)' }),
  format: Type.Union([Type.Literal('json'), Type.Literal('slack')]),
  hasSecret: Type.Boolean({ description: 'Whether requests are signed; the secret itself is never returned' }),
});

export const AutoPaused = Type.Object(
  {
    since: Type.String({ description: 'The first scheduled day of the failures that paused it (YYYY-MM-DD)' }),
    pausedAt: DateTime,
    reason: Type.String({ description: 'The configuration error, saying what to fix' }),
  },
  { description: 'Set while the schedule is paused because of repeated configuration failures; resume with { catchUp: true }' },
);

export const AlertTestResponse = Type.Object({
  delivered: Type.Boolean(),
  status: Nullable(Type.Integer({ description: "The receiver's HTTP status; null when it did not answer" })),
  error: Nullable(Type.String()),
  eventId: Type.String({ description: 'The test event id (also X-UA-Export-Delivery)' }),
  durationMs: Type.Integer(),
});
// ---- end issue 12

const fields = {
  appId: Type.String({ format: 'uuid', description: 'The app whose data is exported' }),
  endpointUrl: Type.String({
    minLength: 1,
    maxLength: 2048,
    description: 'Absolute https URL of the S3-compatible endpoint, without credentials or query (e.g. https://s3.eu-central-1.amazonaws.com)',
  }),
  region: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'Bucket region (default us-east-1; "auto" for R2)' }),
  bucket: Type.String({ minLength: 3, maxLength: 1024, description: 'Bucket name, optionally followed by folders: "adapty-ua-events/com.sample-app"' }),
  folder: Type.String({ maxLength: 512, description: "Folder under the bucket (and its folders) for this integration's files" }),
  accessKeyId: Type.String({ minLength: 1, maxLength: 256, pattern: '^\\S+$' }),
  secretAccessKey: Type.String({ minLength: 1, maxLength: 256, writeOnly: true, description: 'Stored encrypted; never returned' }),
  forcePathStyle: Type.Boolean({ description: 'Path-style requests (endpoint/bucket/key), needed by most non-AWS providers (default true)' }),
  enabled: Type.Boolean({ description: "A disabled integration's schedule is paused and it cannot be backfilled (default true)" }),
};

// ---- file format (issue 10)
const formatFields = {
  format: Type.Union([Type.Literal('csv'), Type.Literal('csv_gzip'), Type.Literal('parquet')], {
    description:
      'File format of every delivered day: csv (default; .csv), csv_gzip (the same CSV gzipped; .csv.gz, application/gzip) or parquet (typed columns; .parquet). Applies to days exported after the change.',
  }),
  compression: Type.Union([Type.Literal('zstd'), Type.Literal('snappy'), Type.Literal('gzip'), Type.Literal('none')], {
    description: 'Parquet column compression (default zstd); only with format parquet: a 400 for the CSV formats',
  }),
};

export const CreateIntegrationBody = Type.Object(
  {
    appId: fields.appId,
    endpointUrl: fields.endpointUrl,
    region: Type.Optional(fields.region),
    bucket: fields.bucket,
    folder: Type.Optional(fields.folder),
    accessKeyId: fields.accessKeyId,
    secretAccessKey: fields.secretAccessKey,
    forcePathStyle: Type.Optional(fields.forcePathStyle),
    enabled: Type.Optional(fields.enabled),
    settings: Type.Optional(SettingsInput),
    // issue 12
    alerts: Type.Optional(opsFields.alerts),
    lookbackDays: Type.Optional(opsFields.lookbackDays),
    autoPauseAfterFailedDays: Type.Optional(opsFields.autoPauseAfterFailedDays),
    format: Type.Optional(formatFields.format),
    compression: Type.Optional(formatFields.compression),
  },
  { additionalProperties: false },
);
export type CreateIntegrationBody = Static<typeof CreateIntegrationBody>;

export const PatchIntegrationBody = Type.Object(
  {
    appId: Type.Optional(fields.appId),
    endpointUrl: Type.Optional(fields.endpointUrl),
    region: Type.Optional(fields.region),
    bucket: Type.Optional(fields.bucket),
    folder: Type.Optional(fields.folder),
    accessKeyId: Type.Optional(fields.accessKeyId),
    secretAccessKey: Type.Optional(fields.secretAccessKey),
    forcePathStyle: Type.Optional(fields.forcePathStyle),
    enabled: Type.Optional(fields.enabled),
    settings: Type.Optional(SettingsInput),
    // issue 12
    alerts: Type.Optional(opsFields.alerts),
    lookbackDays: Type.Optional(opsFields.lookbackDays),
    autoPauseAfterFailedDays: Type.Optional(opsFields.autoPauseAfterFailedDays),
    format: Type.Optional(formatFields.format),
    compression: Type.Optional(formatFields.compression),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchIntegrationBody = Static<typeof PatchIntegrationBody>;

export const ScheduleState = Type.Object({
  scheduleId: Type.String(),
  paused: Type.Boolean(),
  note: Nullable(Type.String()),
  nextRunTimes: Type.Array(DateTime),
  uiUrl: Type.String({ description: 'The schedule in the Temporal UI' }),
  autoPaused: Nullable(AutoPaused), // issue 12
});

export const Integration = Type.Object({
  id: Uuid,
  appId: Uuid,
  endpointUrl: Type.String(),
  region: Type.String(),
  bucket: Type.String(),
  folder: Type.String(),
  accessKeyId: Type.String({ description: 'Masked: **** and the last 4 characters' }),
  forcePathStyle: Type.Boolean(),
  enabled: Type.Boolean(),
  settings: Settings,
  historicalCutoff: Type.String({ description: 'Events created before this instant count as historical (excludeHistoricalEvents)' }),
  createdAt: DateTime,
  updatedAt: DateTime,
  lastStatus: Nullable(Type.String()),
  lastError: Nullable(Type.String()),
  lastStatusAt: Nullable(DateTime),
  schedule: Nullable(ScheduleState),
  // issue 12
  alerts: Type.Union([AlertsView, Type.Null()], {
    description: `The alert webhook, or null: no alerts (and no alert workflows). Events: ${ALERT_EVENT_NAMES}`,
  }),
  lookbackDays: opsFields.lookbackDays,
  autoPauseAfterFailedDays: opsFields.autoPauseAfterFailedDays,
  format: formatFields.format,
  compression: Nullable(formatFields.compression),
});
export type IntegrationView = Static<typeof Integration>;

/** Page size of GET /v1/integrations: the default, and the most one request may ask for. */
export const INTEGRATION_PAGE_DEFAULT = 50;
export const INTEGRATION_PAGE_MAX = 200;

export const IntegrationListQuery = Type.Object(
  {
    ...pageQueryFields({ default: INTEGRATION_PAGE_DEFAULT, max: INTEGRATION_PAGE_MAX }),
  },
  { additionalProperties: false },
);

export const IntegrationList = Type.Object({
  integrations: Type.Array(Integration, { description: 'Newest first' }),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' })),
});

export const DeleteIntegrationResponse = Type.Object({
  id: Uuid,
  deleted: Type.Literal(true),
  cancelledWorkflows: Type.Array(Type.String(), { description: 'Running exports and backfills of this integration that were cancelled before deletion' }),
});

export const ProbeStep = Type.Object({
  name: Type.Union([
    Type.Literal('put_object'),
    Type.Literal('create_multipart_upload'),
    Type.Literal('upload_part'),
    Type.Literal('complete_multipart_upload'),
    Type.Literal('delete_objects'),
    Type.Literal('abort_leftovers'),
  ]),
  ok: Type.Boolean(),
  skipped: Type.Boolean(),
  error: Nullable(Type.String({ description: 'What failed and what to fix' })),
  durationMs: Type.Integer(),
});

export const TestConnectionResponse = Type.Object({
  ok: Type.Boolean(),
  endpoint: Type.String(),
  bucket: Type.String(),
  probePrefix: Type.String({ description: 'Where the probe objects were written (and removed from)' }),
  steps: Type.Array(ProbeStep),
  partChecksum: Nullable(
    Type.Union([Type.Literal('crc32'), Type.Literal('sha256'), Type.Literal('md5')], {
      description:
        "How an export's multipart parts prove their bytes to this provider: `crc32` (x-amz-checksum-crc32) when the endpoint is https or loopback and a probe saw the provider refuse a wrong CRC32, else `sha256` (x-amz-checksum-sha256) when it refused a wrong SHA-256, else `md5` (Content-MD5); null when the write steps failed. PART_CHECKSUM=sha256 never gives `crc32`, PART_CHECKSUM=md5 always gives `md5`",
    }),
  ),
});
