// Types of fields.js for the TypeScript tests, from the API's own TypeBox schemas: the body the form
// builds is the body the API validates.
import type { TSchema } from '@fastify/type-provider-typebox';
import type { CreateIntegrationBody, IntegrationView, PatchIntegrationBody } from '../schemas/integrations.js';

export interface FieldDescriptor {
  path: string;
  label: string;
  kind: 'text' | 'url' | 'secret' | 'switch' | 'select' | 'number';
  default: string | boolean;
  options?: [string, string][];
  min?: number;
  max?: number;
  appliesWhen?: (values: FormValues) => boolean;
  hint?: string;
  list?: string;
  reveal?: boolean;
  keptAs?: (integration: IntegrationView) => string;
}
export type FormValues = Record<string, unknown>;

export const APP_FIELDS: FieldDescriptor[];
export const CONNECTION_FIELDS: FieldDescriptor[];
export const ADVANCED_FIELDS: FieldDescriptor[];
export const SETTINGS_FIELDS: FieldDescriptor[];
export const FORMAT_FIELDS: FieldDescriptor[];
export const OPERATIONS_FIELDS: FieldDescriptor[];
export const ALERT_FIELDS: FieldDescriptor[];
export const REMOVE_ALERTS_FIELD: FieldDescriptor;
export const ALERTS_PATH: 'alerts';
export const ENABLED_FIELD: FieldDescriptor;
export const EVENT_TYPES_PATH: 'settings.eventTypes';
export function getPath(obj: unknown, path: string): unknown;
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void;
export function schemaHas(schema: TSchema, path: string): boolean;
export function initialValues(fields: FieldDescriptor[], integration: IntegrationView | null): FormValues;
export function requestBody(
  fields: FieldDescriptor[],
  values: FormValues,
  initial: FormValues,
  opts: { editing: boolean; schema: TSchema },
): Partial<CreateIntegrationBody> & PatchIntegrationBody;
export function localProblems(values: FormValues, initial: FormValues, opts: { editing: boolean; hasAlerts: boolean }): { field: string; rule: string }[];
export function shownAt(field: string): string;
export function problemsByField(details: { field: string; rule: string }[]): Map<string, string[]>;
