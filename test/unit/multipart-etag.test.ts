import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { multipartEtag } from '../../src/s3/multipart.js';

const md5hex = (s: string | Buffer) => createHash('md5').update(s).digest('hex');

describe('multipartEtag', () => {
  it('matches a value computed by hand (python hashlib) for parts "hello" and "world"', () => {
    // md5("hello") = 5d41402abc4b2a76b9719d911017c592, md5("world") = 7d793037a0760186574b0282f2f435e7,
    // md5(bytes.fromhex(a) + bytes.fromhex(b)) = 065947336a2f2a95ba8899f3675c3be6
    expect(multipartEtag(['"5d41402abc4b2a76b9719d911017c592"', '"7d793037a0760186574b0282f2f435e7"'])).toBe('065947336a2f2a95ba8899f3675c3be6-2');
  });

  it('is md5 over the concatenated binary digests, then "-<count>"', () => {
    const bodies = ['part one', 'part two', 'part three'].map((s) => Buffer.from(s));
    const etags = bodies.map((b) => `"${md5hex(b)}"`);
    const expected = `${md5hex(Buffer.concat(bodies.map((b) => createHash('md5').update(b).digest())))}-3`;
    expect(multipartEtag(etags)).toBe(expected);
    // Not the md5 of the hex text, nor of the data itself.
    expect(expected).not.toBe(`${md5hex(etags.join(''))}-3`);
  });

  it('part order matters', () => {
    const a = md5hex('a');
    const b = md5hex('b');
    expect(multipartEtag([a, b])).not.toBe(multipartEtag([b, a]));
  });

  it('a single part still gets "-1"', () => {
    const a = md5hex('only');
    expect(multipartEtag([a])).toBe(`${md5hex(Buffer.from(a, 'hex'))}-1`);
  });

  it('accepts quoted, unquoted and upper-case etags alike', () => {
    const a = md5hex('x');
    const expected = multipartEtag([a]);
    expect(multipartEtag([`"${a}"`])).toBe(expected);
    expect(multipartEtag([a.toUpperCase()])).toBe(expected);
  });

  it.each([
    ['a multipart etag', 'd41d8cd98f00b204e9800998ecf8427e-2'],
    ['too short', 'd41d8cd98f00b204e9800998ecf8427'],
    ['not hex', 'z41d8cd98f00b204e9800998ecf8427e'],
    ['empty', ''],
    ['an SSE-KMS style opaque etag', 'W/"opaque"'],
  ])('is null when any part etag is %s', (_what, bad) => {
    expect(multipartEtag([md5hex('fine'), bad])).toBeNull();
  });
});
