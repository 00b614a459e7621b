import { EVENT_TYPES } from './event-types.js';
import type { Problem } from './keys.js';

/** What an integration's settings page controls; applied in the export query, never after it. */
export interface ExportSettings {
  excludeHistoricalEvents: boolean;
  includeEventsWithoutProfile: boolean;
  sendUserAttributes: boolean;
  /** null means every type in the catalog, including types added later. */
  eventTypes: string[] | null;
}

export const DEFAULT_SETTINGS: ExportSettings = {
  excludeHistoricalEvents: false,
  includeEventsWithoutProfile: false,
  sendUserAttributes: false,
  eventTypes: null,
};

export function normalizeSettings(raw: Partial<ExportSettings> | null | undefined): ExportSettings {
  const s = { ...DEFAULT_SETTINGS, ...(raw ?? {}) };
  const eventTypes = s.eventTypes == null ? null : [...new Set(s.eventTypes.map((t) => t.toLowerCase()))].sort();
  return { ...s, eventTypes };
}

export function settingsProblems(raw: Partial<ExportSettings>, field = 'settings'): Problem[] {
  const problems: Problem[] = [];
  if (raw.eventTypes != null) {
    if (raw.eventTypes.length === 0) {
      problems.push({ field: `${field}.eventTypes`, rule: 'must list at least one event type (omit it to export all)' });
    }
    const unknown = raw.eventTypes.filter((t) => !EVENT_TYPES.includes(t.toLowerCase()));
    if (unknown.length > 0) {
      problems.push({
        field: `${field}.eventTypes`,
        rule: `unknown event type(s) ${unknown.map((t) => JSON.stringify(t)).join(', ')}; valid types are ${EVENT_TYPES.join(', ')}`,
      });
    }
  }
  return problems;
}
