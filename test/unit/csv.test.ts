import { describe, expect, it } from 'vitest';
import { csvHeader } from '../../src/export/csv.js';

describe('csvHeader', () => {
  it('joins names with commas and ends with a single \\n', () => {
    const h = csvHeader(['profile_id', 'event_type', 'event_datetime']);
    expect(h).toBeInstanceOf(Buffer);
    expect(h.toString('utf8')).toBe('profile_id,event_type,event_datetime\n');
  });

  it('has no BOM and no \\r', () => {
    const h = csvHeader(['a', 'b']);
    expect([...h.subarray(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
    expect(h[0]).toBe('a'.charCodeAt(0));
    expect(h.includes(0x0d)).toBe(false);
    expect(h.length).toBe(4);
  });

  it('quotes only the names that need it, RFC 4180 style', () => {
    expect(csvHeader(['plain', 'with,comma', 'say "hi"', 'multi\nline']).toString('utf8')).toBe('plain,"with,comma","say ""hi""","multi\nline"\n');
  });

  it('encodes non-ASCII names as UTF-8', () => {
    const h = csvHeader(['страна', 'ü']);
    expect(h.equals(Buffer.from('страна,ü\n', 'utf8'))).toBe(true);
  });
});
