import { describe, expect, it } from 'vitest';
import { tableSchema, type SchemaField } from '../../src/export/table-schema.js';
import { columnNames, TABLE_SPECS, TABLES } from '../../src/export/tables.js';

const byName = (fields: SchemaField[]) => new Map(fields.map((f) => [f.name, f]));

describe('tableSchema (Frictionless Table Schema of a file)', () => {
  it("names the file's columns in file order, with and without user attributes", () => {
    for (const table of TABLES) {
      for (const sendUserAttributes of [false, true]) {
        expect(tableSchema(table, { sendUserAttributes }).fields.map((f) => f.name)).toEqual(columnNames(table, sendUserAttributes));
      }
    }
    expect(tableSchema('ua_events', { sendUserAttributes: true }).fields.at(-1)!.name).toBe('user_attributes');
  });

  it('maps each logical type to the Frictionless type and format that parse the text COPY writes', () => {
    const f = byName(tableSchema('ua_events', { sendUserAttributes: true }).fields);
    expect(f.get('profile_id')).toEqual({ name: 'profile_id', type: 'string', format: 'uuid' });
    expect(f.get('event_datetime')).toEqual({
      name: 'event_datetime',
      type: 'datetime',
      description: 'UTC instant with microseconds (YYYY-MM-DDTHH:MM:SS.ffffffZ)',
      constraints: { required: true },
    });
    // "13.0" and "12.10" are versions, not numbers.
    expect(f.get('os_version')).toEqual({ name: 'os_version', type: 'string' });
    // Money is an exact decimal, never a binary float.
    expect(f.get('conversion_value_usd')).toEqual({ name: 'conversion_value_usd', type: 'number' });
    expect(f.get('ip_address')).toMatchObject({ type: 'string' });
    expect(f.get('custom_parameters')).toEqual({
      name: 'custom_parameters',
      type: 'any',
      description: 'JSON value as canonical jsonb text',
      constraints: { required: true },
    });
    const m = byName(tableSchema('campaign_metrics', { sendUserAttributes: false }).fields);
    expect(m.get('date')).toEqual({ name: 'date', type: 'date', constraints: { required: true } });
    expect(m.get('impressions')).toEqual({ name: 'impressions', type: 'integer', constraints: { required: true } });
    expect(m.get('ctr')).toEqual({ name: 'ctr', type: 'number' });
  });

  it("declares NULL as the empty field, and keeps an empty NOT NULL text (adset_id '') a string", () => {
    const s = tableSchema('campaign_metrics', { sendUserAttributes: false });
    expect(s.missingValues).toEqual(['']);
    const f = byName(s.fields);
    expect(f.get('adset_id')).toEqual({ name: 'adset_id', type: 'string', constraints: { required: true }, missingValues: [] });
    // A nullable text column keeps the schema's missing values.
    expect(f.get('adset_name')).toEqual({ name: 'adset_name', type: 'string' });
  });

  it('gives campaign_metrics its primary key within an app, and ua_events none (its key columns are not in the file)', () => {
    expect(tableSchema('campaign_metrics', { sendUserAttributes: false }).primaryKey).toEqual(['date', 'platform', 'campaign_id', 'adset_id', 'ad_id']);
    expect(tableSchema('ua_events', { sendUserAttributes: true })).not.toHaveProperty('primaryKey');
  });

  it('only names file columns as required or as key, and every key column is required', () => {
    for (const table of TABLES) {
      const spec = TABLE_SPECS[table];
      const names = columnNames(table, true);
      expect(spec.required.filter((c) => !names.includes(c))).toEqual([]);
      expect(spec.fileKey.filter((c) => !spec.required.includes(c))).toEqual([]);
    }
  });

  it('writes its keys in a fixed order (name, type, format, description, constraints, missingValues)', () => {
    const order = ['name', 'type', 'format', 'description', 'constraints', 'missingValues'];
    for (const table of TABLES) {
      for (const field of tableSchema(table, { sendUserAttributes: true }).fields) {
        const keys = Object.keys(field);
        expect(keys).toEqual(order.filter((k) => keys.includes(k)));
      }
    }
  });
});
