/**
 * Calendar-day arithmetic in UTC. Pure and clock-free, so workflow code can use it too.
 * A day is always a `YYYY-MM-DD` string; a Date only appears at the edges.
 */
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

export function isDay(value: string): boolean {
  const m = DAY_RE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

export function assertDay(value: string, field = 'day'): string {
  if (!isDay(value)) throw new RangeError(`${field} must be a real calendar day as YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return value;
}

function toEpochMs(day: string): number {
  assertDay(day);
  return Date.parse(`${day}T00:00:00Z`);
}

function fromEpochMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return fromEpochMs(toEpochMs(day) + n * MS_PER_DAY);
}

/** Inclusive count of days from `from` to `to`; 0 when `from` is after `to`. */
export function dayCount(from: string, to: string): number {
  return Math.max(0, Math.round((toEpochMs(to) - toEpochMs(from)) / MS_PER_DAY) + 1);
}

export function daysInRange(from: string, to: string): string[] {
  const n = dayCount(from, to);
  return Array.from({ length: n }, (_, i) => addDays(from, i));
}

export function utcDayOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/**
 * The day a scheduled run exports: the UTC calendar day before the *scheduled* time. Using the
 * scheduled time rather than the clock means a late, retried or caught-up run still exports its day.
 */
export function dayToExport(scheduledTime: Date): string {
  return addDays(utcDayOf(scheduledTime), -1);
}

export interface DayWindow {
  day: string;
  /** Inclusive, `YYYY-MM-DDT00:00:00.000000Z`. */
  start: string;
  /** Exclusive: the next day's first instant. */
  end: string;
}

/** The half-open UTC window [D 00:00, D+1 00:00) of `created_at` values that belong to day D. */
export function dayWindow(day: string): DayWindow {
  assertDay(day);
  return { day, start: `${day}T00:00:00.000000Z`, end: `${addDays(day, 1)}T00:00:00.000000Z` };
}
