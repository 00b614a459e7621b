import { formatBytes } from '../temporal/format.js';

/** Pure formatting for the CLI's human output: sizes, counts, durations, ETA, tables. */

export { formatBytes };

const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234567 → "1,234,567". */
export function formatRows(n: number): string {
  return GROUPED.format(n);
}

/** A size for humans, with the exact byte count when it is not already shown: "56.7 KiB (58,061 B)". */
export function formatBytesExact(n: number): string {
  const human = formatBytes(n);
  return human.endsWith(' B') ? human : `${human} (${formatRows(n)} B)`;
}

/** 950 → "0.9s", 12_300 → "12s", 185_000 → "3m 05s", 7_380_000 → "2h 03m", 2 days → "2d 01h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms === 0) return '0s';
  if (ms < 1000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${pad(h % 24)}h`;
}

export interface EtaInput {
  /** When the work started (ISO instant). */
  startedAt: string;
  now: Date;
  /** Units finished, successfully or not. */
  done: number;
  total: number;
}

/**
 * Milliseconds left at the average pace so far; 0 when everything is done; null while nothing has
 * finished yet (no pace to go by) or the inputs make no sense.
 */
export function estimateEtaMs({ startedAt, now, done, total }: EtaInput): number | null {
  if (total <= 0 || done >= total) return done >= total && total >= 0 ? 0 : null;
  if (done <= 0) return null;
  const elapsed = now.getTime() - Date.parse(startedAt);
  if (!Number.isFinite(elapsed) || elapsed < 0) return null;
  return Math.round((elapsed / done) * (total - done));
}

export function formatEta(ms: number | null): string {
  return ms === null ? '--' : formatDuration(ms);
}

/** "2026-05-13T10:00:01.123Z" → "2026-05-13 10:00:01Z"; null → "-". */
export function formatInstant(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * Rows under their headers, columns padded to their widest cell and separated by two spaces; the
 * last column is not padded (no trailing spaces). Cells with line breaks are flattened.
 */
export function renderTable(columns: Column[], rows: string[][]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((_, i) => (r[i] ?? '').replace(/\s*\n\s*/g, ' ')))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => [...r[i]!].length)));
  return cells
    .map((r) =>
      r
        .map((cell, i) => {
          const last = i === columns.length - 1;
          const pad = widths[i]! - [...cell].length;
          if (columns[i]!.align === 'right') return ' '.repeat(pad) + cell;
          return last ? cell : cell + ' '.repeat(pad);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** "label   value" lines with the labels aligned; a multi-line value continues under its first line. */
export function renderKeyValue(pairs: [string, string][], indent = ''): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs
    .map(([k, v]) => {
      const [first = '', ...rest] = v.split('\n');
      const head = `${indent}${k.padEnd(width)}  ${first}`.trimEnd();
      return [head, ...rest.map((line) => `${indent}${' '.repeat(width)}  ${line}`.trimEnd())].join('\n');
    })
    .join('\n');
}

/**
 * Consecutive days collapsed into ranges: ["2026-05-01","2026-05-02","2026-05-03","2026-05-07"] →
 * ["2026-05-01..2026-05-03", "2026-05-07"]. Days are sorted and deduplicated first.
 */
export function compactDayRanges(days: string[]): string[] {
  const sorted = [...new Set(days)].sort();
  const out: string[] = [];
  const next = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  let start: string | undefined;
  let prev: string | undefined;
  const flush = () => {
    if (start !== undefined && prev !== undefined) out.push(start === prev ? start : `${start}..${prev}`);
  };
  for (const d of sorted) {
    if (prev !== undefined && next(prev) === d) {
      prev = d;
      continue;
    }
    flush();
    start = d;
    prev = d;
  }
  flush();
  return out;
}

/** Shortens a long single-line text for a table cell. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}
