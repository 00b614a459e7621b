import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up } from '../chaos/instance.js';
import type { ScenarioFigures } from '../chaos/report.js';
import { buildProduct } from '../chaos/build.js';
import { BUILD_DIR, runSuite } from '../chaos/run.js';
import { SCENARIOS } from '../chaos/scenarios/index.js';

/**
 * The CI subset of the chaos suite: one run of each scenario on small data, on the suite's own service
 * instance (it stops and restarts those services, never the ones the other test files use).
 */
let figs: ScenarioFigures[] = [];
// The soak is a 30-minute run by nature (`npm run soak`, or the full `npm run chaos`): not CI-sized.
const SUBSET = SCENARIOS.filter((s) => s.id !== 'soak');

beforeAll(async () => {
  const t0 = Date.now();
  // The build does not need the services: both at once.
  const [, build] = await Promise.all([up(), buildProduct(BUILD_DIR)]);
  const t1 = Date.now();
  figs = await runSuite({
    scenarios: SUBSET.map((s) => s.id),
    runs: 1,
    seed: Number(process.env.CHAOS_SEED ?? 1),
    quick: true,
    build,
    parallel: SUBSET.length,
  });
  // The subset's cost in CI, for docs/RELIABILITY.md: services and build, then the runs.
  process.stdout.write(`[chaos subset] services up + build ${((t1 - t0) / 1000).toFixed(0)} s, runs ${((Date.now() - t1) / 1000).toFixed(0)} s\n`);
}, 1_200_000);
afterAll(async () => {
  if (!process.env.CHAOS_KEEP_SERVICES) await down();
}, 120_000);

describe('chaos subset: one of each scenario on small data', () => {
  for (const s of SUBSET) {
    it(`${s.id}: every day exact, 0 lost, 0 duplicated, 0 open uploads, the worker survived`, () => {
      const f = figs.find((x) => x.id === s.id)!;
      expect(f.skipped).toBeNull();
      expect(f.runs).toBe(1);
      expect(f.problems).toEqual([]);
      expect(f.notes.filter((n) => n.startsWith('ERROR') || n.startsWith('BUG') || n.includes('closed'))).toEqual([]);
      expect(f.daysChecked).toBeGreaterThan(0);
      expect(f.daysExact).toBe(f.daysChecked);
      expect(f.rowsLost).toBe(0);
      expect(f.rowsDuplicated).toBe(0);
      expect(f.openUploads).toBe(0);
      expect(f.faults).toBeGreaterThan(0);
      expect(f.workerDied).toBe(0);
    });
  }
});
