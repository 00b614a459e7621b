import { describe, expect, it } from 'vitest';
import { dayToExport } from '../../src/export/days.js';
import { owedDays } from '../../src/ops/missed-runs.js';
import { scheduledFiringOf } from '../../src/temporal/schedules.js';

describe('scheduledFiringOf', () => {
  it('is 04:00 UTC the day after, the inverse of dayToExport, across a month and a year end', () => {
    expect(scheduledFiringOf('2026-11-30').toISOString()).toBe('2026-12-01T04:00:00.000Z');
    expect(scheduledFiringOf('2026-12-31').toISOString()).toBe('2027-01-01T04:00:00.000Z');
    for (const day of ['2024-02-28', '2024-02-29', '2026-03-29', '2026-10-25']) expect(dayToExport(scheduledFiringOf(day))).toBe(day);
  });
});

describe('owedDays', () => {
  const days = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'];
  const firing = (day: string) => scheduledFiringOf(day).toISOString();

  it('owes every never-attempted day whose firing came at or after the integration was created', () => {
    expect(owedDays(days, '2026-11-03T04:00:00.000Z', [])).toEqual([
      { day: '2026-11-02', scheduledAt: '2026-11-03T04:00:00.000Z' },
      { day: '2026-11-03', scheduledAt: '2026-11-04T04:00:00.000Z' },
      { day: '2026-11-04', scheduledAt: '2026-11-05T04:00:00.000Z' },
    ]);
    // Created a millisecond after a firing: that firing's schedule did not exist yet.
    expect(owedDays(days, '2026-11-03T04:00:00.001Z', []).map((m) => m.day)).toEqual(['2026-11-03', '2026-11-04']);
  });

  it('owes no day whose firing fell in a pause: from its start (inclusive) to its resume (exclusive), or still open', () => {
    const created = '2026-10-01T00:00:00.000Z';
    const closed = { pausedAt: firing('2026-11-02'), resumedAt: firing('2026-11-03') };
    expect(owedDays(days, created, [closed]).map((m) => m.day)).toEqual(['2026-11-01', '2026-11-03', '2026-11-04']);
    const open = { pausedAt: new Date(Date.parse(firing('2026-11-03')) + 1).toISOString(), resumedAt: null };
    expect(owedDays(days, created, [closed, open]).map((m) => m.day)).toEqual(['2026-11-01', '2026-11-03']);
  });

  it('owes nothing when nothing was left unattempted', () => {
    expect(owedDays([], '2020-01-01T00:00:00.000Z', [])).toEqual([]);
  });
});
