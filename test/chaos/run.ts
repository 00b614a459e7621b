import path from 'node:path';
import { rng } from '../../src/dev/generate.js';
import { buildProduct, type Build } from './build.js';
import { FULL_SIZE, QUICK_SIZE } from './data.js';
import { openLab, type Lab } from './lab.js';
import { figures, type ScenarioFigures } from './report.js';
import type { RunOutcome, Scenario } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';

/** Runs the selected scenarios `runs` times each on the (already started) chaos instance. */
export interface SuiteOptions {
  scenarios: string[];
  /** Runs of every scenario; by default 1 with `quick`, else each scenario's `fullRuns` (3 unless it says). */
  runs?: number;
  seed: number;
  quick: boolean;
  log?: (line: string) => void;
  /** The compiled product (buildProduct); built here when not given. */
  build?: Build;
  /**
   * How many runs of the scenarios not marked `exclusive` may share the instance at once (default 1).
   * Their faults hit only their own workers, bucket and proxy, and a kill's recovery is mostly waiting
   * (heartbeat timeout, retry backoff), so the full suite fits in about an hour only with several at once.
   */
  parallel?: number;
}

/** Where the suite's build goes: the chaos instance's directory, kept between runs (reused while the sources are unchanged). */
export const BUILD_DIR = path.resolve(import.meta.dirname, '../../.local/instances/chaos/build');

export async function runSuite(o: SuiteOptions): Promise<ScenarioFigures[]> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const unknown = o.scenarios.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  // One build and workflow bundle for every process of the run: restarts after a kill then take a process start.
  const build = o.build ?? (await buildProduct(BUILD_DIR, log));
  const size = o.quick ? QUICK_SIZE : FULL_SIZE;
  const selected = SCENARIOS.filter((x) => o.scenarios.includes(x.id));

  async function runOnce(s: Scenario, i: number, n: number): Promise<RunOutcome> {
    const runSeed = (o.seed * 1_000 + SCENARIOS.indexOf(s) * 100 + i) >>> 0;
    const tag = `${s.id}-${i}-${Date.now().toString(36)}`;
    const t0 = Date.now();
    // Opened inside the try: a lab that cannot open (Postgres slow to accept a connection on a loaded
    // box) fails this run, not the whole suite, whose teardown would stop the services under the
    // runs still going.
    let lab: Lab | null = null;
    try {
      lab = await openLab({ size, quick: o.quick, runTag: tag, build });
      const r = await s.run(lab, { rnd: rng(runSeed), runIndex: i, quick: o.quick });
      const bad = r.verdicts.filter((v) => v.problems.length);
      log(
        `[chaos] ${s.id} run ${i + 1}/${n} (seed ${runSeed}) ${r.skipped ? `skipped: ${r.skipped}` : `faults ${r.faults}, days ${r.verdicts.length - bad.length}/${r.verdicts.length} exact, open uploads ${r.openUploads.length}, worker survived ${r.workerSurvived ?? 'n/a'}, ${((Date.now() - t0) / 1000).toFixed(0)} s`}${r.notes.length ? ` — ${r.notes.join('; ')}` : ''}`,
      );
      for (const v of bad) log(`[chaos]   ${v.table} ${v.day}: ${v.problems.join('; ')}`);
      return r;
    } catch (err) {
      log(`[chaos] ${s.id} run ${i + 1} (seed ${runSeed}) ERROR ${(err as Error).stack ?? String(err)}${lab ? ` (logs ${lab.logDir})` : ''}`);
      return {
        faults: 0,
        faultToDeliveredMs: [],
        verdicts: [],
        openUploads: [],
        workerSurvived: null,
        partsRebuilt: [],
        notes: [`ERROR ${(err as Error).message}`],
      };
    } finally {
      await lab?.close();
    }
  }

  const runsOf = (s: Scenario) => Math.min(o.runs ?? (o.quick ? 1 : (s.fullRuns ?? 3)), s.maxRuns ?? Infinity);
  const outcomes = new Map<Scenario, RunOutcome[]>(selected.map((s) => [s, []]));
  const jobs = (group: Scenario[]) => group.flatMap((s) => Array.from({ length: runsOf(s) }, (_, i) => ({ s, i })));
  const runJobs = async (list: { s: Scenario; i: number }[], width: number) => {
    let next = 0;
    const lane = async () => {
      for (let j = next++; j < list.length; j = next++) {
        const { s, i } = list[j]!;
        outcomes.get(s)![i] = await runOnce(s, i, runsOf(s));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, width) }, lane));
  };
  const width = o.parallel ?? 1;
  if (width > 1) {
    // Seeded once before they start, so two runs never both find the data missing and insert it twice.
    await (await openLab({ size, quick: o.quick, runTag: `seed-${Date.now().toString(36)}`, build })).close();
  }
  // Scenarios that fault only their own worker, bucket and proxy first, `width` runs at a time; those
  // that stop or reconfigure a service every run depends on after them, one run at a time.
  await runJobs(jobs(selected.filter((s) => !s.exclusive)), width);
  await runJobs(jobs(selected.filter((s) => s.exclusive)), 1);
  return selected.map((s) => figures(s, outcomes.get(s)!));
}
