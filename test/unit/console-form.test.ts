import { Type, TypeBoxValidatorCompiler, type TSchema } from '@fastify/type-provider-typebox';
import { describe, expect, it } from 'vitest';
import { CreateIntegrationBody, PatchIntegrationBody, type IntegrationView } from '../../src/api/schemas/integrations.js';
import {
  ADVANCED_FIELDS,
  APP_FIELDS,
  CONNECTION_FIELDS,
  ENABLED_FIELD,
  initialValues,
  problemsByField,
  requestBody,
  SETTINGS_FIELDS,
  type FieldDescriptor,
} from '../../src/api/console/fields.js';
import { rangeProblems } from '../../src/api/console/range.js';
import { dayRangeProblems } from '../../src/integrations/validation.js';

/**
 * The console's form logic (src/api/console/fields.js, range.js: plain browser modules, typed by .d.ts
 * files from the API's TypeBox schemas): the bodies it sends validate against the API's own schemas,
 * an edit sends only what changed, a secret left empty is never sent, and the range rules give the
 * same problems as the API's.
 */
/** The API's own body validator (app.ts sets it as Fastify's validator compiler): true when it accepts `body`. */
const accepts = (schema: TSchema, body: unknown): boolean => {
  const validate = TypeBoxValidatorCompiler({ schema, method: 'POST', url: '/', httpPart: 'body' });
  return !(validate(body) as { error?: unknown }).error;
};

const EDIT_FIELDS: FieldDescriptor[] = [...APP_FIELDS, ...CONNECTION_FIELDS, ...ADVANCED_FIELDS, ...SETTINGS_FIELDS];
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
