import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount } from '../../src/temporal/format.js';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024, '10.0 KiB'],
    [99 * 1024, '99.0 KiB'],
    [100 * 1024, '100 KiB'],
    [1023 * 1024, '1023 KiB'],
    [1024 ** 2, '1.0 MiB'],
    [16 * 1024 ** 2, '16.0 MiB'],
    [Math.round(2.25 * 1024 ** 3), '2.3 GiB'], // 2.25 is exact in binary: toFixed rounds half up here
    [5 * 1024 ** 3, '5.0 GiB'],
    [3 * 1024 ** 4, '3.0 TiB'],
    [2048 * 1024 ** 4, '2048 TiB'], // TiB is the largest unit
  ])('%i → %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});

describe('formatCount', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [9_999, '9999'],
    [10_000, '10 k'],
    [12_345, '12 k'],
    [123_456, '123 k'],
    [1_000_000, '1.0 M'],
    [2_450_000, '2.5 M'],
    [9_900_000, '9.9 M'],
    [10_000_000, '10 M'],
    [123_456_789, '123 M'],
  ])('%i → %s', (n, text) => {
    expect(formatCount(n)).toBe(text);
  });
});

describe('rounding at unit boundaries', () => {
  it('steps up a unit instead of printing 1024 of the smaller one', () => {
    expect(formatBytes(1048575)).toBe('1.0 MiB');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatCount(999_999)).toBe('1.0 M');
    expect(formatCount(999_499)).toBe('999 k');
  });
});
