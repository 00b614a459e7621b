import { Type, TypeBoxValidatorCompiler, type TSchema } from '@fastify/type-provider-typebox';
import { describe, expect, it } from 'vitest';
import { CreateIntegrationBody, PatchIntegrationBody, type IntegrationView } from '../../src/api/schemas/integrations.js';
import {
  ADVANCED_FIELDS,
  ALERT_FIELDS,
  APP_FIELDS,
  CONNECTION_FIELDS,
  ENABLED_FIELD,
  FORMAT_FIELDS,
  initialValues,
  localProblems,
  OPERATIONS_FIELDS,
  problemsByField,
  REMOVE_ALERTS_FIELD,
  requestBody,
  schemaHas,
  SETTINGS_FIELDS,
  type FieldDescriptor,
} from '../../src/api/console/fields.js';
import { rangeProblems } from '../../src/api/console/range.js';
import { schemaErrorDetails } from '../../src/api/plugins/error-handler.js';
import { dayRangeProblems, outputFormatOf } from '../../src/integrations/validation.js';

/**
 * The console's form logic (src/api/console/fields.js, range.js: plain browser modules, typed by .d.ts
 * files from the API's TypeBox schemas): the bodies it sends validate against the API's own schemas,
 * an edit sends only what changed, a secret left empty is never sent, and the range rules give the
 * same problems as the API's.
 */
/** The API's own body validator (app.ts sets it as Fastify's validator compiler): its errors, or null when it accepts `body`. */
const schemaErrors = (schema: TSchema, body: unknown) => {
  const validate = TypeBoxValidatorCompiler({ schema, method: 'POST', url: '/', httpPart: 'body' });
  const { error } = validate(body) as { error?: Parameters<typeof schemaErrorDetails>[0] };
  return error ?? null;
};
const accepts = (schema: TSchema, body: unknown): boolean => schemaErrors(schema, body) === null;

const EDIT_FIELDS: FieldDescriptor[] = [...APP_FIELDS, ...CONNECTION_FIELDS, ...ADVANCED_FIELDS, ...SETTINGS_FIELDS];
// The fields added since the form was built (issues 10 and 12), as the form shows them.
const NEW_FIELDS: FieldDescriptor[] = [...FORMAT_FIELDS, ...OPERATIONS_FIELDS, ...ALERT_FIELDS];
const CREATE_FIELDS: FieldDescriptor[] = [...EDIT_FIELDS, ENABLED_FIELD];

const integration: IntegrationView = {
  id: '6f1c1f8e-2f3c-4b8a-9a7e-0c1d2e3f4a5b',
  appId: '0b6b7c8d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
  endpointUrl: 'https://s3.eu-central-1.amazonaws.com',
  region: 'eu-central-1',
  bucket: 'my-bucket',
  folder: 'ua',
  accessKeyId: '****WXYZ',
  forcePathStyle: false,
  enabled: true,
  settings: { excludeHistoricalEvents: false, includeEventsWithoutProfile: false, sendUserAttributes: true, eventTypes: null },
  historicalCutoff: '2026-01-01 00:00:00+00',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  lastStatus: null,
  lastError: null,
  lastStatusAt: null,
  alerts: null,
  lookbackDays: 3,
  autoPauseAfterFailedDays: 3,
  format: 'csv',
  compression: null,
  schedule: null,
};

describe('console form: field labels', () => {
  it('has exactly the five dashboard labels for the connection fields', () => {
    expect(CONNECTION_FIELDS.map((f) => f.label)).toEqual([
      'Access Key ID',
      'Secret Access Key',
      'S3 Bucket Name',
      'Folder Inside the Bucket',
      'S3 Endpoint URL',
    ]);
    expect(SETTINGS_FIELDS.map((f) => f.label)).toEqual(['Exclude Historical Events', 'Include events without profile', 'Send User Attributes']);
    expect(ADVANCED_FIELDS.map((f) => f.path)).toEqual(['region', 'forcePathStyle']);
  });

  it("has a descriptor for each field added since, each at a path of the API's create and patch schemas", () => {
    expect(NEW_FIELDS.map((f) => f.path)).toEqual([
      'format',
      'compression',
      'lookbackDays',
      'autoPauseAfterFailedDays',
      'alerts.webhookUrl',
      'alerts.format',
      'alerts.secret',
    ]);
    for (const f of [...FORMAT_FIELDS, ...OPERATIONS_FIELDS]) {
      expect(schemaHas(CreateIntegrationBody, f.path), f.path).toBe(true);
      expect(schemaHas(PatchIntegrationBody, f.path), f.path).toBe(true);
    }
    // `alerts` is an object-or-null union: its fields are checked by validating bodies below.
    expect(schemaHas(PatchIntegrationBody, 'alerts')).toBe(true);
    // The choices are exactly the API's.
    const literals = (s: TSchema) => (s as { anyOf: { const: string }[] }).anyOf.map((x) => x.const);
    expect(FORMAT_FIELDS[0]!.options!.map(([v]) => v)).toEqual(literals(PatchIntegrationBody.properties.format));
    expect(FORMAT_FIELDS[1]!.options!.map(([v]) => v)).toEqual(literals(PatchIntegrationBody.properties.compression));
  });
});

describe('console form: format, operations and alerts', () => {
  const CREATE: FieldDescriptor[] = [...CREATE_FIELDS, ...NEW_FIELDS];
  const EDIT: FieldDescriptor[] = [...EDIT_FIELDS, ...NEW_FIELDS, REMOVE_ALERTS_FIELD];
  const filledIn = (initial: Record<string, unknown>) => ({
    ...initial,
    appId: integration.appId,
    accessKeyId: 'AKIAEXAMPLE',
    secretAccessKey: 'secret',
    bucket: 'my-bucket',
    endpointUrl: 'https://s3.eu-central-1.amazonaws.com',
  });

  it('creates with csv_gzip and an alert webhook; compression is never sent for a CSV format', () => {
    const initial = initialValues(CREATE, null);
    expect(initial).toMatchObject({ format: 'csv', compression: 'zstd', lookbackDays: '3', autoPauseAfterFailedDays: '3', 'alerts.format': 'json' });
    const values = {
      ...filledIn(initial),
      format: 'csv_gzip',
      lookbackDays: '5',
      'alerts.webhookUrl': ' https://hooks.example.com/ua ',
      'alerts.format': 'slack',
      'alerts.secret': 's3cr3t',
    };
    const body = requestBody(CREATE, values, initial, { editing: false, schema: CreateIntegrationBody });
    expect(body).toMatchObject({
      format: 'csv_gzip',
      lookbackDays: 5,
      autoPauseAfterFailedDays: 3,
      alerts: { webhookUrl: 'https://hooks.example.com/ua', format: 'slack', secret: 's3cr3t' },
    });
    expect(body).not.toHaveProperty('compression');
    expect(accepts(CreateIntegrationBody, body)).toBe(true);
    expect(outputFormatOf(body).problems).toEqual([]);
    // Without a webhook URL no alerts are sent at all.
    const noAlerts = requestBody(CREATE, filledIn(initial), initial, { editing: false, schema: CreateIntegrationBody });
    expect(noAlerts).not.toHaveProperty('alerts');
    expect(noAlerts).toMatchObject({ format: 'csv' });
  });

  it('sends compression with parquet only, and edits format and compression as the API resolves them', () => {
    const initial = initialValues(CREATE, null);
    const parquet = requestBody(CREATE, { ...filledIn(initial), format: 'parquet', compression: 'snappy' }, initial, {
      editing: false,
      schema: CreateIntegrationBody,
    });
    expect(parquet).toMatchObject({ format: 'parquet', compression: 'snappy' });
    expect(outputFormatOf(parquet).value).toEqual({ format: 'parquet', compression: 'snappy' });
    // csv → parquet on edit with the default compression: only the format, the API picks zstd.
    const csvInitial = initialValues(EDIT, integration);
    const toParquet = requestBody(EDIT, { ...csvInitial, format: 'parquet' }, csvInitial, { editing: true, schema: PatchIntegrationBody });
    expect(toParquet).toEqual({ format: 'parquet' });
    expect(outputFormatOf(toParquet, { format: 'csv', compression: null }).value).toEqual({ format: 'parquet', compression: 'zstd' });
    // parquet → csv_gzip: the stored compression is not sent along (the API would refuse it).
    const stored = { ...integration, format: 'parquet' as const, compression: 'gzip' as const };
    const parquetInitial = initialValues(EDIT, stored);
    expect(parquetInitial.compression).toBe('gzip');
    const toGzip = requestBody(EDIT, { ...parquetInitial, format: 'csv_gzip' }, parquetInitial, { editing: true, schema: PatchIntegrationBody });
    expect(toGzip).toEqual({ format: 'csv_gzip' });
    expect(outputFormatOf(toGzip, { format: 'parquet', compression: 'gzip' })).toEqual({ value: { format: 'csv_gzip', compression: null }, problems: [] });
  });

  it('sends whole numbers as numbers, leaves empty ones out, and lets the API name anything else', () => {
    const initial = initialValues(EDIT, integration);
    expect(requestBody(EDIT, initial, initial, { editing: true, schema: PatchIntegrationBody })).toEqual({});
    expect(
      requestBody(EDIT, { ...initial, lookbackDays: '0', autoPauseAfterFailedDays: '' }, initial, { editing: true, schema: PatchIntegrationBody }),
    ).toEqual({ lookbackDays: 0 });
    const bad = requestBody(EDIT, { ...initial, lookbackDays: '40', autoPauseAfterFailedDays: '2.5' }, initial, {
      editing: true,
      schema: PatchIntegrationBody,
    });
    const details = schemaErrorDetails(schemaErrors(PatchIntegrationBody, bad)!, 'body');
    expect([...problemsByField(details).keys()].sort()).toEqual(['autoPauseAfterFailedDays', 'lookbackDays']);
  });

  it('edits the webhook as one object: untouched it is left alone, a new secret needs the URL, removal sends null', () => {
    const withAlerts = { ...integration, alerts: { webhookUrl: 'https://hooks.example.com/…/abcd', format: 'json' as const, hasSecret: true } };
    const initial = initialValues(EDIT, withAlerts);
    // The masked URL is never put into the form, like a secret.
    expect(initial['alerts.webhookUrl']).toBe('');
    expect(initial['alerts.secret']).toBe('');
    expect(requestBody(EDIT, initial, initial, { editing: true, schema: PatchIntegrationBody })).toEqual({});
    expect(localProblems(initial, initial, { editing: true, hasAlerts: true })).toEqual([]);
    // A new secret without the URL: said before sending, next to the URL.
    const secretOnly = { ...initial, 'alerts.secret': 'new' };
    expect(localProblems(secretOnly, initial, { editing: true, hasAlerts: true }).map((p) => p.field)).toEqual(['alerts.webhookUrl']);
    expect(localProblems({ ...initial, 'alerts.format': 'slack' }, initial, { editing: true, hasAlerts: true })).toHaveLength(1);
    // With the URL typed again: the whole object; no secret typed keeps the stored one.
    const retyped = requestBody(EDIT, { ...initial, 'alerts.webhookUrl': 'https://hooks.example.com/x/abcd', 'alerts.format': 'slack' }, initial, {
      editing: true,
      schema: PatchIntegrationBody,
    });
    expect(retyped).toEqual({ alerts: { webhookUrl: 'https://hooks.example.com/x/abcd', format: 'slack' } });
    expect(accepts(PatchIntegrationBody, retyped)).toBe(true);
    const removed = requestBody(EDIT, { ...secretOnly, 'alerts.remove': true }, initial, { editing: true, schema: PatchIntegrationBody });
    expect(removed).toEqual({ alerts: null });
    expect(localProblems({ ...secretOnly, 'alerts.remove': true }, initial, { editing: true, hasAlerts: true })).toEqual([]);
    expect(accepts(PatchIntegrationBody, removed)).toBe(true);
  });

  it("places the API's schema complaints about the webhook next to the form's own alert fields", () => {
    const known = new Set(NEW_FIELDS.map((f) => f.path));
    for (const alerts of [
      { webhookUrl: '' },
      { webhookUrl: 'https://x.example', format: 'teams' },
      { webhookUrl: 'https://x.example', secret: 'a'.repeat(300) },
    ]) {
      const details = schemaErrorDetails(schemaErrors(PatchIntegrationBody, { alerts })!, 'body');
      // The union's generic "must be null / must match a schema in anyOf" is dropped for the specific rule.
      expect(details.map((d) => d.field)).not.toContain('alerts');
      const fields = [...problemsByField(details).keys()];
      expect(fields).toHaveLength(1);
      expect(known.has(fields[0]!), fields[0]).toBe(true);
    }
    // A complaint about `alerts` as a whole is shown at its URL.
    expect([...problemsByField([{ field: 'alerts', rule: 'must be object' }]).keys()]).toEqual(['alerts.webhookUrl']);
  });
});

describe('console form: request bodies', () => {
  it('creates with every field filled in, in a body the API schema accepts', () => {
    const initial = initialValues(CREATE_FIELDS, null);
    const values = {
      ...initial,
      appId: integration.appId,
      accessKeyId: ' AKIAEXAMPLE ',
      secretAccessKey: 'secret',
      bucket: 'my-bucket',
      folder: 'ua',
      endpointUrl: 'https://s3.eu-central-1.amazonaws.com',
      'settings.includeEventsWithoutProfile': true,
    };
    const body = requestBody(CREATE_FIELDS, values, initial, { editing: false, schema: CreateIntegrationBody });
    expect(body).toEqual({
      appId: integration.appId,
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'secret',
      bucket: 'my-bucket',
      folder: 'ua',
      endpointUrl: 'https://s3.eu-central-1.amazonaws.com',
      region: 'us-east-1',
      forcePathStyle: true,
      enabled: true,
      settings: { excludeHistoricalEvents: false, includeEventsWithoutProfile: true, sendUserAttributes: false, eventTypes: null },
    });
    expect(accepts(CreateIntegrationBody, body)).toBe(true);
    // …and it checks what it is given: without the secret the same body is refused.
    expect(accepts(CreateIntegrationBody, Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'secretAccessKey')))).toBe(false);
  });

  it('edits with only the changed fields; empty write-only fields keep the stored credentials', () => {
    const initial = initialValues(EDIT_FIELDS, integration);
    // The masked key and the secret are never put into the form.
    expect(initial.accessKeyId).toBe('');
    expect(initial.secretAccessKey).toBe('');
    expect(requestBody(EDIT_FIELDS, initial, initial, { editing: true, schema: PatchIntegrationBody })).toEqual({});
    const values = { ...initial, folder: 'ua2', 'settings.eventTypes': ['install', 'reinstall'], secretAccessKey: 'new-secret' };
    const body = requestBody(EDIT_FIELDS, values, initial, { editing: true, schema: PatchIntegrationBody });
    expect(body).toEqual({ folder: 'ua2', secretAccessKey: 'new-secret', settings: { eventTypes: ['install', 'reinstall'] } });
    expect(accepts(PatchIntegrationBody, body)).toBe(true);
  });

  it("never sends a field the API's schema does not have", () => {
    const extra: FieldDescriptor = { path: 'settings.notYetInTheApi', label: 'Not yet', kind: 'switch', default: false };
    const fields = [...EDIT_FIELDS, extra];
    const initial = initialValues(fields, integration);
    const body = requestBody(fields, { ...initial, 'settings.notYetInTheApi': true, folder: 'x' }, initial, { editing: true, schema: PatchIntegrationBody });
    expect(body).toEqual({ folder: 'x' });
    // With a schema that has it, the same change is sent.
    const wider = Type.Object({ ...PatchIntegrationBody.properties, settings: Type.Object({ notYetInTheApi: Type.Boolean() }) });
    expect(requestBody(fields, { ...initial, 'settings.notYetInTheApi': true }, initial, { editing: true, schema: wider })).toEqual({
      settings: { notYetInTheApi: true },
    });
  });

  it("groups the API's details by field, array items under their field", () => {
    const map = problemsByField([
      { field: 'bucket', rule: 'must be 3 to 63 characters' },
      { field: 'settings.eventTypes[2]', rule: 'unknown event type' },
      { field: 'bucket', rule: 'must start with a letter or digit' },
    ]);
    expect([...map.entries()]).toEqual([
      ['bucket', ['must be 3 to 63 characters', 'must start with a letter or digit']],
      ['settings.eventTypes', ['unknown event type']],
    ]);
  });
});

describe('console manual export: range rules', () => {
  const today = '2026-12-01';
  const cases: [string, string, number][] = [
    ['2026-11-28', '2026-11-30', 731],
    ['2026-11-28', '2026-12-01', 731],
    ['2026-11-30', '2026-11-28', 731],
    ['2026-02-30', '2026-03-01', 731],
    ['2024-01-01', '2026-11-30', 731],
    ['2024-01-01', '2026-12-05', 731],
    ['2026-11-01', '2026-11-30', 10],
    ['nonsense', '2026-11-30', 731],
  ];
  it.each(cases)('%s → %s (max %d days) gives the same problems as the API', (from, to, maxDays) => {
    expect(rangeProblems(from, to, today, maxDays)).toEqual(dayRangeProblems(from, to, { today, maxDays, completeDaysOnly: true }));
  });
  it('accepts the three days before today', () => {
    expect(rangeProblems('2026-11-28', '2026-11-30', today, 731)).toEqual([]);
  });
});
