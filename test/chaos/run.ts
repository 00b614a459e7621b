import path from 'node:path';
import { rng } from '../../src/dev/generate.js';
import { buildProduct, type Build } from './build.js';
import { FULL_SIZE, QUICK_SIZE } from './data.js';
import { openLab } from './lab.js';
import { figures, type ScenarioFigures } from './report.js';
import type { RunOutcome } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';

/** Runs the selected scenarios `runs` times each on the (already started) chaos instance. */
export interface SuiteOptions {
  scenarios: string[];
  runs: number;
  seed: number;
  quick: boolean;
  log?: (line: string) => void;
  /** The compiled product (buildProduct); built here when not given. */
  build?: Build;
}

/** Where the suite's build goes: the chaos instance's directory, kept between runs for tsc's incremental build. */
export const BUILD_DIR = path.resolve(import.meta.dirname, '../../.local/instances/chaos/build');

export async function runSuite(o: SuiteOptions): Promise<ScenarioFigures[]> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const unknown = o.scenarios.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  // One build and workflow bundle for every process of the run: restarts after a kill then take a process start.
  const build = o.build ?? (await buildProduct(BUILD_DIR, log));
  const out: ScenarioFigures[] = [];
  for (const s of SCENARIOS.filter((x) => o.scenarios.includes(x.id))) {
    const runs: RunOutcome[] = [];
    const n = Math.min(o.runs, s.maxRuns ?? o.runs);
    for (let i = 0; i < n; i++) {
      const runSeed = (o.seed * 1_000 + SCENARIOS.indexOf(s) * 100 + i) >>> 0;
      const tag = `${s.id}-${i}-${Date.now().toString(36)}`;
      const lab = await openLab({ size: o.quick ? QUICK_SIZE : FULL_SIZE, quick: o.quick, runTag: tag, build });
      const t0 = Date.now();
      try {
        const r = await s.run(lab, { rnd: rng(runSeed), runIndex: i, quick: o.quick });
        runs.push(r);
        const bad = r.verdicts.filter((v) => v.problems.length);
        log(
          `[chaos] ${s.id} run ${i + 1}/${n} (seed ${runSeed}) ${r.skipped ? `skipped: ${r.skipped}` : `faults ${r.faults}, days ${r.verdicts.length - bad.length}/${r.verdicts.length} exact, open uploads ${r.openUploads.length}, worker survived ${r.workerSurvived ?? 'n/a'}, ${((Date.now() - t0) / 1000).toFixed(0)} s`}${r.notes.length ? ` — ${r.notes.join('; ')}` : ''}`,
        );
        for (const v of bad) log(`[chaos]   ${v.table} ${v.day}: ${v.problems.join('; ')}`);
      } catch (err) {
        log(`[chaos] ${s.id} run ${i + 1} (seed ${runSeed}) ERROR ${(err as Error).stack ?? String(err)} (logs ${lab.logDir})`);
        runs.push({
          faults: 0,
          faultToDeliveredMs: [],
          verdicts: [],
          openUploads: [],
          workerSurvived: null,
          partsRebuilt: [],
          notes: [`ERROR ${(err as Error).message}`],
        });
      } finally {
        await lab.close();
      }
    }
    out.push(figures(s, runs));
  }
  return out;
}
