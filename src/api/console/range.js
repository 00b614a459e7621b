// The manual export's day-range rules, the same as the API's dayRangeProblems for a backfill (checked
// against it in test/unit/console-form.test.ts), so the page says what is wrong before sending.
import { dayCount, isDay } from '../shared/format.js';

/** [{ field, rule }] like the API's 4xx details; empty when the range can be exported. */
export function rangeProblems(from, to, today, maxDays) {
  const problems = [];
  const realDay = (v, field) => {
    if (isDay(v)) return true;
    problems.push({ field, rule: `must be a real calendar day as YYYY-MM-DD, got ${JSON.stringify(v)}` });
    return false;
  };
  const okFrom = realDay(from, 'from');
  const okTo = realDay(to, 'to');
  if (!okFrom || !okTo) return problems;
  if (from > to) return [{ field: 'from', rule: `must be on or before to (${to})` }];
  if (to >= today) problems.push({ field: 'to', rule: `must be before today in UTC (${today}): a day is exported only once it is complete` });
  const days = dayCount(from, to);
  if (days > maxDays) problems.push({ field: 'to', rule: `range covers ${days} days; at most ${maxDays} are allowed` });
  return problems;
}
