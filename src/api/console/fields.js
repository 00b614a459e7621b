// The integration form's fields, one descriptor each: where the value sits in the API's body (`path`),
// its label, how it is edited and its default. The form, its PATCH diff and the placing of the API's
// 4xx details all read these, so a new integration field is one more descriptor here (and, for a
// new group, one more list in FORM_SECTIONS).
//
// kind: 'text' | 'url' | 'secret' (write-only: empty on edit, sent only when typed) | 'switch' | 'select'

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

/** The form's starting values: the integration's, or the defaults for a new one. */
export function initialValues(fields, integration) {
  const values = {};
  for (const f of fields) {
    const current = integration ? getPath(integration, f.path) : undefined;
    values[f.path] = f.kind === 'secret' || current === undefined ? f.default : current;
  }
  values[EVENT_TYPES_PATH] = integration ? (integration.settings.eventTypes ?? null) : null;
  return values;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The request body: on create every field with a value; on edit only what changed. Only fields this
 * form knows and the API's schema accepts are sent, so a field the page does not show is never reset.
 */
export function requestBody(fields, values, initial, { editing, schema }) {
  const body = {};
  for (const path of [...fields.map((f) => f.path), EVENT_TYPES_PATH]) {
    if (!schemaHas(schema, path)) continue;
    const field = fields.find((f) => f.path === path);
    let value = values[path];
    if (typeof value === 'string') value = value.trim();
    if (field?.kind === 'secret' && value === '' && editing) continue;
    if (editing && field?.kind !== 'secret' && same(value, initial[path])) continue;
    if (!editing && value === '' && path === 'region') continue;
    setPath(body, path, value);
  }
  return body;
}

/** The API's `details` by the field they name (`settings.eventTypes[2]` counts as `settings.eventTypes`). */
export function problemsByField(details) {
  const map = new Map();
  for (const d of details) {
    const field = String(d.field).replace(/\[\d+\]/g, '');
    map.set(field, [...(map.get(field) ?? []), d.rule]);
  }
  return map;
}
