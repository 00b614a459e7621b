import { InvalidArgumentError } from 'commander';
import { isTableName, TABLES } from '../export/tables.js';
import type { FileFormat, ParquetCompression } from '../export/formats/format.js';
import type { CreateIntegrationRequest, StartBackfillRequest, TableName } from './types.js';

/**
 * Command-line options → API requests. Pure: values are passed on as given and the API validates them
 * (so a bad day or bucket is reported with the API's own field and rule); only what cannot be sent as
 * typed JSON at all (a concurrency of "abc") is refused here, as a usage error.
 */

/** "a, b,,c" → ["a", "b", "c"]. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** `--tables a,b`: the names checked here, so a typo gets the list of valid names rather than a schema rule. */
export function parseTables(value: string): TableName[] {
  const names = parseList(value);
  const unknown = names.filter((n) => !isTableName(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`${unknown.length ? `unknown table ${unknown.join(', ')}` : 'no table named'}: use ${TABLES.join(', ')}`);
  }
  return [...new Set(names)] as TableName[];
}

/** Commander parser for a whole number ≥ 1. */
export function parsePositiveInt(value: string): number {
  if (!/^\s*\d+\s*$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return Number(value);
}

/** Commander parser for `--interval <seconds>`: a number of seconds from 0.2 to 3600, as milliseconds. */
export function parseIntervalSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0.2 || n > 3600) throw new InvalidArgumentError('must be a number of seconds from 0.2 to 3600');
  return Math.round(n * 1000);
}

/** `--event-types a,b` → ["a","b"]; `all` (or `*`) → null: every type, including ones added later. */
export function parseEventTypes(value: string): string[] | null {
  const trimmed = value.trim();
  if (trimmed === 'all' || trimmed === '*') return null;
  return parseList(value);
}

export interface CreateIntegrationOptions {
  appId: string;
  endpointUrl: string;
  bucket: string;
  folder?: string;
  region?: string;
  accessKeyId: string;
  /** false with --no-path-style. */
  pathStyle?: boolean;
  disabled?: boolean;
  excludeHistoricalEvents?: boolean;
  includeEventsWithoutProfile?: boolean;
  sendUserAttributes?: boolean;
  /** Parsed with parseEventTypes; null = all. */
  eventTypes?: string[] | null;
  format?: FileFormat;
  compression?: ParquetCompression;
}

// ---- file format (issue 10)
export interface FormatOptions {
  format?: FileFormat;
  compression?: ParquetCompression;
}

/** The format fields of a create or PATCH body: only what was given, so the API's rules and defaults apply. */
export function formatBody(o: FormatOptions): { format?: FileFormat; compression?: ParquetCompression } {
  return {
    ...(o.format !== undefined ? { format: o.format } : {}),
    ...(o.compression !== undefined ? { compression: o.compression } : {}),
  };
}

/** The POST /v1/integrations body; only what was given is sent, so the API's defaults apply to the rest. */
export function createIntegrationBody(o: CreateIntegrationOptions, secretAccessKey: string): CreateIntegrationRequest {
  const settings: NonNullable<CreateIntegrationRequest['settings']> = {};
  if (o.excludeHistoricalEvents) settings.excludeHistoricalEvents = true;
  if (o.includeEventsWithoutProfile) settings.includeEventsWithoutProfile = true;
  if (o.sendUserAttributes) settings.sendUserAttributes = true;
  if (o.eventTypes !== undefined) settings.eventTypes = o.eventTypes;
  return {
    appId: o.appId,
    endpointUrl: o.endpointUrl,
    bucket: o.bucket,
    accessKeyId: o.accessKeyId,
    secretAccessKey,
    ...(o.region !== undefined ? { region: o.region } : {}),
    ...(o.folder !== undefined ? { folder: o.folder } : {}),
    ...(o.pathStyle === false ? { forcePathStyle: false } : {}),
    ...(o.disabled ? { enabled: false } : {}),
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
    ...formatBody(o),
  };
}

export interface StartBackfillOptions {
  from: string;
  to: string;
  /** Parsed with parseTables. */
  tables?: TableName[];
  concurrency?: number;
}

export function startBackfillBody(o: StartBackfillOptions): StartBackfillRequest {
  return {
    from: o.from,
    to: o.to,
    ...(o.tables !== undefined ? { tables: o.tables } : {}),
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
  };
}

export interface ExportsOptions {
  from?: string;
  to?: string;
  table?: string;
}

export function exportsQuery(o: ExportsOptions): { from?: string; to?: string; table?: string } {
  return {
    ...(o.from !== undefined ? { from: o.from } : {}),
    ...(o.to !== undefined ? { to: o.to } : {}),
    ...(o.table !== undefined ? { table: o.table } : {}),
  };
}
