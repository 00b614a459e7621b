// The integration form's fields, one descriptor each: where the value sits in the API's body (`path`),
// its label, how it is edited and its default. The form, its PATCH diff and the placing of the API's
// 4xx details all read these, so a new integration field is one more descriptor here (and, for a
// new group, one more list in FORM_SECTIONS).
//
// kind: 'text' | 'url' | 'secret' (write-only: empty on edit, sent only when typed) | 'switch' | 'select'
//   (`options`: [value, label] pairs) | 'number' (a whole number; the form holds the typed text)
// `appliesWhen(values)`: the field is shown and sent only while this holds (compression: parquet only,
// which the API enforces too).

export const APP_FIELDS = [{ path: 'appId', label: 'App ID', kind: 'text', default: '', list: 'known-apps', hint: 'The app whose data is exported (a UUID).' }];

/** The five fields users know from the dashboard, with exactly these labels. */
export const CONNECTION_FIELDS = [
  {
    path: 'accessKeyId',
    label: 'Access Key ID',
    kind: 'secret',
    default: '',
    reveal: true,
    // The API shows only a masked key (****abcd): keep it unless a new one is typed.
    keptAs: (i) => `unchanged (${i.accessKeyId}); type a new one to replace it`,
  },
  {
    path: 'secretAccessKey',
    label: 'Secret Access Key',
    kind: 'secret',
    default: '',
    keptAs: () => 'stored encrypted and never shown; type a new one to replace it',
  },
  { path: 'bucket', label: 'S3 Bucket Name', kind: 'text', default: '', hint: 'A bucket name, optionally followed by folders: my-bucket/com.sample-app' },
  { path: 'folder', label: 'Folder Inside the Bucket', kind: 'text', default: '', hint: 'Files go to <bucket>/<folder>/<table>/dt=<day>/.' },
  { path: 'endpointUrl', label: 'S3 Endpoint URL', kind: 'url', default: '', hint: 'For example https://s3.eu-central-1.amazonaws.com' },
];

export const ADVANCED_FIELDS = [
  { path: 'region', label: 'Region', kind: 'text', default: 'us-east-1', hint: 'The bucket region; "auto" for Cloudflare R2.' },
  {
    path: 'forcePathStyle',
    label: 'Path-style requests',
    kind: 'switch',
    default: true,
    hint: 'endpoint/bucket/key: needed by MinIO, SeaweedFS and most providers other than AWS.',
  },
];

/** The three export settings, as toggles with what each does. */
export const SETTINGS_FIELDS = [
  {
    path: 'settings.excludeHistoricalEvents',
    label: 'Exclude Historical Events',
    kind: 'switch',
    default: false,
    hint: "Leave out events that happened before the integration's historical cutoff (by default, when it was created).",
  },
  {
    path: 'settings.includeEventsWithoutProfile',
    label: 'Include events without profile',
    kind: 'switch',
    default: false,
    hint: 'Also export events that have no profile (an empty profile_id).',
  },
  {
    path: 'settings.sendUserAttributes',
    label: 'Send User Attributes',
    kind: 'switch',
    default: false,
    hint: "Add the user_attributes column (the profile's attributes) to ua_events.",
  },
];

/** How each day's files are written (issue 10): the API names these paths in its 4xx details. */
export const FORMAT_FIELDS = [
  {
    path: 'format',
    label: 'File format',
    kind: 'select',
    default: 'csv',
    options: [
      ['csv', 'CSV (.csv)'],
      ['csv_gzip', 'CSV, gzip-compressed (.csv.gz)'],
      ['parquet', 'Parquet (.parquet)'],
    ],
    hint: 'Applies from the next export on; files already delivered keep their format.',
  },
  {
    path: 'compression',
    label: 'Parquet compression',
    kind: 'select',
    default: 'zstd',
    options: [
      ['zstd', 'zstd (default)'],
      ['snappy', 'snappy'],
      ['gzip', 'gzip'],
      ['none', 'none'],
    ],
    hint: "Compression of Parquet's column chunks.",
    appliesWhen: (values) => values.format === 'parquet',
  },
];

/** Re-delivery and auto-pause of the daily schedule (issue 12). */
export const OPERATIONS_FIELDS = [
  {
    path: 'lookbackDays',
    label: 'Look-back days',
    kind: 'number',
    default: '3',
    min: 0,
    max: 31,
    hint: 'Each daily run re-checks this many delivered days before it and re-delivers a day whose source data changed (0 to 31; 0 turns it off).',
  },
  {
    path: 'autoPauseAfterFailedDays',
    label: 'Pause after failed days',
    kind: 'number',
    default: '3',
    min: 0,
    max: 365,
    hint: 'Pause the schedule after this many consecutive days failed with a configuration error, such as a wrong secret (0 to 365; 0 never pauses).',
  },
];

/**
 * The alert webhook (issue 12). The API returns the URL masked and never the secret, so on edit both
 * start empty; the API takes the webhook as one object, so changing its format or secret needs the
 * URL typed again (localProblems says so).
 */
export const ALERT_FIELDS = [
  {
    path: 'alerts.webhookUrl',
    label: 'Webhook URL',
    kind: 'url',
    default: '',
    hint: 'Failed and recovered exports, auto-pauses and finished backfills are POSTed here. Leave empty for no alerts.',
    keptAs: (i) => (i.alerts ? `unchanged (${i.alerts.webhookUrl}); type it again to change the webhook` : 'none set'),
  },
  {
    path: 'alerts.format',
    label: 'Message format',
    kind: 'select',
    default: 'json',
    options: [
      ['json', 'JSON (the event as JSON)'],
      ['slack', 'Slack (an incoming-webhook message)'],
    ],
  },
  {
    path: 'alerts.secret',
    label: 'Signing secret',
    kind: 'secret',
    default: '',
    hint: 'Optional: each request is signed with it (X-UA-Export-Signature, HMAC-SHA256).',
    keptAs: (i) => (i.alerts?.hasSecret ? 'stored encrypted and never shown; type a new one to replace it' : 'none: requests are not signed'),
  },
];

/** On edit only, while a webhook is set: remove it (PATCH alerts: null). */
export const REMOVE_ALERTS_FIELD = { path: 'alerts.remove', label: 'Remove the alert webhook', kind: 'switch', default: false };

export const ALERTS_PATH = 'alerts';

export const ENABLED_FIELD = {
  path: 'enabled',
  label: 'Turn on the daily export',
  kind: 'switch',
  default: true,
  hint: 'Exports the previous UTC day every day at 04:00 UTC. Off: the schedule is paused.',
};

/** The event catalog's value: null means every type, including types added to the catalog later. */
export const EVENT_TYPES_PATH = 'settings.eventTypes';

export const getPath = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);

export function setPath(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys.at(-1)] = value;
}

/** Whether a JSON schema (the API's TypeBox schema) has a property at this dotted path. */
export function schemaHas(schema, path) {
  let s = schema;
  for (const k of path.split('.')) {
    s = s?.properties?.[k];
    if (!s) return false;
  }
  return true;
}

const isAlertField = (path) => path.startsWith(`${ALERTS_PATH}.`);

/** The form's starting values: the integration's, or the defaults for a new one. */
export function initialValues(fields, integration) {
  const values = {};
  for (const f of fields) {
    // The webhook URL comes back masked: like a secret, it is typed again rather than edited.
    const current = integration && f.path !== 'alerts.webhookUrl' ? getPath(integration, f.path) : undefined;
    values[f.path] = f.kind === 'secret' || current == null ? f.default : f.kind === 'number' ? String(current) : current;
  }
  values[EVENT_TYPES_PATH] = integration ? (integration.settings.eventTypes ?? null) : null;
  return values;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** A typed whole number as a number; anything else as typed, for the API to name what is wrong with it. */
const numberValue = (text) => (/^-?\d+$/.test(text) ? Number(text) : text);

/**
 * The `alerts` part of the body, or undefined to leave it out. The API takes the webhook as one object
 * ({ webhookUrl, format, secret? }; secret omitted keeps the stored one) or null to remove it.
 */
function alertsBody(values, editing) {
  if (editing && values['alerts.remove']) return null;
  const webhookUrl = String(values['alerts.webhookUrl'] ?? '').trim();
  if (!webhookUrl) return undefined;
  const secret = String(values['alerts.secret'] ?? '');
  const alerts = { webhookUrl, format: values['alerts.format'] ?? 'json' };
  if (secret !== '') alerts.secret = secret;
  return alerts;
}

/**
 * What the form can tell before sending: the alert webhook's format or secret changed with no URL to
 * send them with. Same shape as the API's details, shown the same way.
 */
export function localProblems(values, initial, { editing, hasAlerts }) {
  if (values['alerts.remove']) return [];
  const url = String(values['alerts.webhookUrl'] ?? '').trim();
  const secretTyped = String(values['alerts.secret'] ?? '') !== '';
  const formatChanged = values['alerts.format'] !== undefined && values['alerts.format'] !== initial['alerts.format'];
  if (url || !(secretTyped || formatChanged)) return [];
  if (editing && hasAlerts)
    return [{ field: 'alerts.webhookUrl', rule: 'type the webhook URL again to change its format or secret (the stored one is shown masked)' }];
  return [{ field: 'alerts.webhookUrl', rule: 'is required for alerts: set a webhook URL, or clear the secret' }];
}

/**
 * The request body: on create every field with a value; on edit only what changed. Only fields this
 * form knows and the API's schema accepts are sent, so a field the page does not show is never reset.
 */
export function requestBody(fields, values, initial, { editing, schema }) {
  const body = {};
  for (const path of [...fields.map((f) => f.path), EVENT_TYPES_PATH]) {
    if (isAlertField(path) || !schemaHas(schema, path)) continue;
    const field = fields.find((f) => f.path === path);
    if (field?.appliesWhen && !field.appliesWhen(values)) continue;
    let value = values[path];
    if (typeof value === 'string') value = value.trim();
    if (field?.kind === 'secret' && value === '' && editing) continue;
    if (field?.kind === 'number') {
      if (value === '') continue;
      value = numberValue(value);
      if (editing && same(value, numberValue(initial[path]))) continue;
    }
    if (editing && field?.kind !== 'secret' && same(value, initial[path])) continue;
    if (!editing && value === '' && path === 'region') continue;
    setPath(body, path, value);
  }
  if (fields.some((f) => isAlertField(f.path)) && schemaHas(schema, ALERTS_PATH)) {
    const alerts = alertsBody(values, editing);
    if (alerts !== undefined) body.alerts = alerts;
  }
  return body;
}

/** Where a detail is shown: a union's complaint about `alerts` as a whole goes next to its URL. */
export const shownAt = (field) => (field === ALERTS_PATH ? 'alerts.webhookUrl' : field);

/** The API's `details` by the field they name (`settings.eventTypes[2]` counts as `settings.eventTypes`). */
export function problemsByField(details) {
  const map = new Map();
  for (const d of details) {
    const field = shownAt(String(d.field).replace(/\[\d+\]/g, ''));
    map.set(field, [...(map.get(field) ?? []), d.rule]);
  }
  return map;
}
