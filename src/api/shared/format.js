// Figures, times and days as the rest of the product shows them (src/temporal/format.ts, the CLI): one module for both browser pages, the console and the export calendar.

export function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  const shown = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  while (Number(shown(v)) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${shown(v)} ${units[i]}`;
}

export function formatCount(n) {
  if (n >= 999_500) return `${(n / 1_000_000).toFixed(n >= 9_950_000 ? 0 : 1)} M`;
  if (n >= 10_000) return `${(n / 1000).toFixed(0)} k`;
  return String(n);
}

/** `2026-12-01 04:00 UTC`: every time on the page is UTC, like the export days. */
export const formatInstant = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '–');

export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

const DAY_MS = 86_400_000;
const dayMs = (day) => Date.parse(`${day}T00:00:00Z`);
export const isDay = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(dayMs(s)).toISOString().slice(0, 10) === s;
export const addDays = (day, n) => new Date(dayMs(day) + n * DAY_MS).toISOString().slice(0, 10);
export const dayCount = (from, to) => Math.round((dayMs(to) - dayMs(from)) / DAY_MS) + 1;

/** Each day from `from` to `to`, inclusive. */
export function daysBetween(from, to) {
  const out = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}
