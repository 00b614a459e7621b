import { describe, expect, it } from 'vitest';
import {
  compactDayRanges,
  estimateEtaMs,
  formatBytes,
  formatBytesExact,
  formatDuration,
  formatEta,
  formatInstant,
  formatRows,
  renderKeyValue,
  renderTable,
  truncate,
} from '../../src/cli/format.js';

describe('sizes and counts', () => {
  it('groups rows with commas', () => {
    expect(formatRows(0)).toBe('0');
    expect(formatRows(1234)).toBe('1,234');
    expect(formatRows(1234567)).toBe('1,234,567');
  });

  it('shows bytes in binary units, with the exact count once rounded', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytesExact(512)).toBe('512 B');
    expect(formatBytes(58_061)).toBe('56.7 KiB');
    expect(formatBytesExact(58_061)).toBe('56.7 KiB (58,061 B)');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });
});

describe('durations and ETA', () => {
  it('formats durations at a sensible precision', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(400)).toBe('0.4s');
    expect(formatDuration(12_300)).toBe('12s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(7_380_000)).toBe('2h 03m');
    expect(formatDuration(49 * 3_600_000)).toBe('2d 01h');
    expect(formatDuration(-5)).toBe('-');
    expect(formatDuration(Number.NaN)).toBe('-');
  });

  it('estimates the time left from the average pace so far', () => {
    const startedAt = '2026-05-13T10:00:00Z';
    const now = new Date('2026-05-13T10:01:00Z');
    // 2 of 6 days in 60 s → 30 s a day → 4 left = 120 s.
    expect(estimateEtaMs({ startedAt, now, done: 2, total: 6 })).toBe(120_000);
    expect(estimateEtaMs({ startedAt, now, done: 0, total: 6 })).toBeNull();
    expect(estimateEtaMs({ startedAt, now, done: 6, total: 6 })).toBe(0);
    expect(estimateEtaMs({ startedAt: 'not a date', now, done: 1, total: 6 })).toBeNull();
    expect(estimateEtaMs({ startedAt: '2026-05-13T11:00:00Z', now, done: 1, total: 6 })).toBeNull();
    expect(formatEta(null)).toBe('--');
    expect(formatEta(120_000)).toBe('2m 00s');
  });
});

describe('instants', () => {
  it('prints UTC to the second, "-" for none', () => {
    expect(formatInstant('2026-05-13T10:00:01.123Z')).toBe('2026-05-13 10:00:01Z');
    expect(formatInstant(null)).toBe('-');
    expect(formatInstant('garbage')).toBe('garbage');
  });
});

describe('tables', () => {
  it('aligns columns, right-aligns numbers, leaves no trailing spaces', () => {
    const out = renderTable(
      [{ header: 'DAY' }, { header: 'ROWS', align: 'right' }, { header: 'NOTE' }],
      [
        ['2026-05-10', '1,234', 'ok'],
        ['2026-05-11', '7', ''],
      ],
    );
    expect(out.split('\n')).toEqual(['DAY          ROWS  NOTE', '2026-05-10  1,234  ok', '2026-05-11      7']);
    for (const line of out.split('\n')) expect(line).toBe(line.trimEnd());
  });

  it('flattens line breaks inside cells and pads missing cells', () => {
    expect(renderTable([{ header: 'A' }, { header: 'B' }], [['x\n  y']])).toBe('A    B\nx y');
  });

  it('renders aligned key/value pairs, multi-line values continuing underneath', () => {
    expect(
      renderKeyValue(
        [
          ['id', 'abc'],
          ['failed days', '2026-05-10  boom\n2026-05-11  bang'],
        ],
        '  ',
      ),
    ).toBe(['  id           abc', '  failed days  2026-05-10  boom', '               2026-05-11  bang'].join('\n'));
  });
});

describe('day ranges', () => {
  it('collapses consecutive days', () => {
    expect(compactDayRanges(['2026-05-03', '2026-05-01', '2026-05-02', '2026-05-07', '2026-05-07'])).toEqual(['2026-05-01..2026-05-03', '2026-05-07']);
    expect(compactDayRanges(['2026-02-28', '2026-03-01'])).toEqual(['2026-02-28..2026-03-01']);
    expect(compactDayRanges([])).toEqual([]);
  });

  it('truncates long text', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('a\n b', 10)).toBe('a b');
  });
});
