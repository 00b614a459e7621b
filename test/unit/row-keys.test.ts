import { describe, expect, it } from 'vitest';
import { keyEndOf } from '../../src/export/row-keys.js';

describe('keyEndOf', () => {
  const row = Buffer.from('##42,2026-11-28 00:00:01.5+00,p1,install,"a, b"\n##');
  const start = 2;
  const end = row.length - 2;

  it('finds the comma after the last key field', () => {
    expect(row.toString('latin1', start, keyEndOf(row, start, end, 1))).toBe('42');
    expect(row.toString('latin1', start, keyEndOf(row, start, end, 2))).toBe('42,2026-11-28 00:00:01.5+00');
    expect(keyEndOf(row, start, end, 0)).toBe(start - 1);
  });

  it('refuses a row without its key fields or its line feed, without reading past the row', () => {
    // The next row's comma is past `end`: the scan stops at the row's end.
    const two = Buffer.from('7\n8,x\n');
    expect(() => keyEndOf(two, 0, 2, 1)).toThrow('COPY row has fewer than 1 key columns');
    expect(() => keyEndOf(row, start, end, 9)).toThrow('COPY row has fewer than 9 key columns');
    expect(() => keyEndOf(row, start, end - 1, 1)).toThrow('COPY row does not end with a line feed');
    expect(() => keyEndOf(row, start, start, 1)).toThrow('COPY row does not end with a line feed');
  });
});
