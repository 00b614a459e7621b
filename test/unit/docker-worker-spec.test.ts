import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerWorkerSpec } from '../../bench/compiled-worker.js';

describe('dockerWorkerSpec (how bench and soak start the worker)', () => {
  it("takes the last stage's ENV lines and the node flags of its CMD", () => {
    const spec = dockerWorkerSpec(
      [
        'FROM node:24 AS build',
        'ENV BUILD_ONLY=1',
        'CMD ["node", "--ignored", "dist/src/worker/main.js"]',
        'FROM node:24-slim',
        'ENV NODE_ENV=production',
        'ENV MALLOC_ARENA_MAX=2',
        'CMD ["node", "--max-semi-space-size=2", "--max-old-space-size=96", "dist/src/worker/main.js"]',
      ].join('\n'),
    );
    expect(spec).toEqual({ nodeFlags: ['--max-semi-space-size=2', '--max-old-space-size=96'], env: { NODE_ENV: 'production', MALLOC_ARENA_MAX: '2' } });
  });

  it('refuses a CMD that does not start the worker with node', () => {
    expect(() => dockerWorkerSpec('FROM x\nCMD ["npm", "start"]')).toThrow(/not node … worker\/main.js/);
    expect(() => dockerWorkerSpec('FROM x\nENV A=1')).toThrow(/no CMD/);
  });

  it("reads the repository's Dockerfile: production, the malloc arena bound and node flags", () => {
    const spec = dockerWorkerSpec(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'));
    expect(spec.env.NODE_ENV).toBe('production');
    expect(spec.env.MALLOC_ARENA_MAX).toBe('2');
    expect(spec.nodeFlags.every((f) => f.startsWith('--'))).toBe(true);
  });
});
