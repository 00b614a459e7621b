import { describe, expect, it } from 'vitest';
import { addDays, assertDay, dayCount, dayToExport, dayWindow, daysInRange, isDay, utcDayOf } from '../../src/export/days.js';

describe('isDay', () => {
  it.each([
    ['2026-01-01', true],
    ['2026-12-31', true],
    ['2024-02-29', true], // divisible by 4
    ['2000-02-29', true], // divisible by 400
    ['2026-02-28', true],
    ['2026-02-29', false], // not a leap year
    ['2026-02-30', false],
    ['2100-02-29', false], // divisible by 100, not by 400
    ['2026-04-31', false],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['2026-01-00', false],
    ['2026-01-32', false],
  ])('%s → %s', (day, expected) => {
    expect(isDay(day)).toBe(expected);
  });

  it.each(['2026-1-01', '2026-01-1', '26-01-01', '2026/01/01', '2026-01-01T00:00:00Z', ' 2026-01-01', '2026-01-01 ', '', 'yesterday'])(
    'rejects malformed %j',
    (value) => {
      expect(isDay(value)).toBe(false);
    },
  );

  it('assertDay names the field and the bad value', () => {
    expect(assertDay('2024-02-29')).toBe('2024-02-29');
    expect(() => assertDay('2026-02-30', 'from')).toThrow(/^from must be .*"2026-02-30"/);
  });
});

describe('addDays', () => {
  it.each([
    ['2026-01-31', 1, '2026-02-01'],
    ['2026-02-28', 1, '2026-03-01'], // non-leap February
    ['2024-02-28', 1, '2024-02-29'], // leap February
    ['2024-02-29', 1, '2024-03-01'],
    ['2100-02-28', 1, '2100-03-01'],
    ['2000-02-28', 1, '2000-02-29'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2027-01-01', -1, '2026-12-31'],
    ['2024-03-01', -1, '2024-02-29'],
    ['2026-03-01', -1, '2026-02-28'],
    ['2026-06-15', 0, '2026-06-15'],
    ['2024-01-01', 366, '2025-01-01'], // 2024 has 366 days
    ['2025-01-01', 365, '2026-01-01'],
    ['2026-03-29', 1, '2026-03-30'], // EU DST change: UTC arithmetic must not care
    ['2026-11-01', 1, '2026-11-02'], // US DST change
  ])('%s %+d → %s', (day, n, expected) => {
    expect(addDays(day, n)).toBe(expected);
  });

  it('throws on an invalid day rather than rolling it over', () => {
    expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
  });
});

describe('dayCount / daysInRange', () => {
  it('counts inclusively', () => {
    expect(dayCount('2026-01-01', '2026-01-01')).toBe(1);
    expect(dayCount('2026-01-01', '2026-01-31')).toBe(31);
    expect(dayCount('2024-02-01', '2024-03-01')).toBe(30); // 29 Feb days + 1 Mar
    expect(dayCount('2026-02-01', '2026-03-01')).toBe(29);
    expect(dayCount('2026-12-30', '2027-01-02')).toBe(4);
    expect(dayCount('2024-01-01', '2024-12-31')).toBe(366);
  });

  it('is 0 when from is after to', () => {
    expect(dayCount('2026-01-02', '2026-01-01')).toBe(0);
    expect(dayCount('2027-01-01', '2026-01-01')).toBe(0);
    expect(daysInRange('2026-01-02', '2026-01-01')).toEqual([]);
  });

  it('lists every day across a leap month and year end', () => {
    expect(daysInRange('2024-02-27', '2024-03-02')).toEqual(['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01', '2024-03-02']);
    expect(daysInRange('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(daysInRange('2026-05-05', '2026-05-05')).toEqual(['2026-05-05']);
  });

  it('rejects invalid bounds', () => {
    expect(() => dayCount('2026-02-29', '2026-03-01')).toThrow(RangeError);
    expect(() => daysInRange('2026-01-01', '2026-13-01')).toThrow(RangeError);
  });
});

describe('dayToExport', () => {
  it.each([
    ['2026-03-01T04:00:00Z', '2026-02-28'],
    ['2024-03-01T04:00:00Z', '2024-02-29'],
    ['2027-01-01T04:00:00Z', '2026-12-31'],
    ['2026-11-29T00:00:00.000Z', '2026-11-28'],
    ['2026-11-29T23:59:59.999Z', '2026-11-28'],
    ['2026-11-28T23:59:59.999Z', '2026-11-27'],
    // An instant given with an offset is still judged by its UTC day.
    ['2026-11-29T01:00:00+03:00', '2026-11-27'], // = 2026-11-28T22:00Z
    ['2026-11-28T22:00:00-03:00', '2026-11-28'], // = 2026-11-29T01:00Z
  ])('scheduled %s → %s', (instant, expected) => {
    expect(dayToExport(new Date(instant))).toBe(expected);
  });

  it('utcDayOf uses the UTC calendar day', () => {
    expect(utcDayOf(new Date('2026-11-29T23:59:59.999Z'))).toBe('2026-11-29');
    expect(utcDayOf(new Date('2026-11-30T00:00:00.000Z'))).toBe('2026-11-30');
  });
});

describe('dayWindow', () => {
  it('is the half-open UTC window [D, D+1)', () => {
    expect(dayWindow('2026-11-28')).toEqual({
      day: '2026-11-28',
      start: '2026-11-28T00:00:00.000000Z',
      end: '2026-11-29T00:00:00.000000Z',
    });
  });

  it('crosses month, leap and year ends', () => {
    expect(dayWindow('2024-02-29').end).toBe('2024-03-01T00:00:00.000000Z');
    expect(dayWindow('2026-02-28').end).toBe('2026-03-01T00:00:00.000000Z');
    expect(dayWindow('2026-12-31')).toEqual({
      day: '2026-12-31',
      start: '2026-12-31T00:00:00.000000Z',
      end: '2027-01-01T00:00:00.000000Z',
    });
  });

  it('consecutive windows tile without gap or overlap', () => {
    const days = ['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01', '2024-03-02'];
    for (let i = 0; i + 1 < days.length; i++) {
      expect(dayWindow(days[i + 1]!).start).toBe(dayWindow(days[i]!).end);
    }
  });

  it('rejects an invalid day', () => {
    expect(() => dayWindow('2026-02-30')).toThrow(/real calendar day/);
  });
});
