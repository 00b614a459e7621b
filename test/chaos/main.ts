import path from 'node:path';
import { parseArgs } from 'node:util';
import { down, up } from './instance.js';
import { markdownTable, writeReliability } from './report.js';
import { buildProduct } from './build.js';
import { BUILD_DIR, runSuite } from './run.js';
import { SCENARIOS } from './scenarios/index.js';

/**
 * `npm run chaos [-- --scenario a,b --skip c,d --runs N --parallel N --seed S --quick --keep-services --no-write]`:
 * brings the chaos service instance up, runs the scenarios, prints the figures and writes them into
 * docs/RELIABILITY.md (the table says which scenarios were skipped), then stops the instance.
 */
const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    skip: { type: 'string' },
    runs: { type: 'string' },
    parallel: { type: 'string' },
    seed: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'keep-services': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});
const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()) : null);
const skip = list(values.skip) ?? [];
const unknownSkip = skip.filter((id) => !SCENARIOS.some((s) => s.id === id));
if (unknownSkip.length) throw new Error(`--skip: unknown scenario(s) ${unknownSkip.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
const scenarios = (list(values.scenario) ?? SCENARIOS.map((s) => s.id)).filter((id) => !skip.includes(id));
const quick = values.quick;
// By default each scenario's own count (three: every variant of the postgres scenario once; six kill runs).
const runs = values.runs === undefined ? undefined : Number(values.runs);
// Runs of the scenarios that fault only their own processes, at once: the full suite in about an hour.
const parallel = Number(values.parallel ?? (quick ? 1 : 5));
const seed = Number(values.seed ?? Math.floor(Math.random() * 1e6));
process.stdout.write(
  `[chaos] seed ${seed} (repeat with --seed ${seed}); scenarios ${scenarios.join(', ')}; ${runs ?? (quick ? 1 : 'the default number of')} run(s) each, up to ${parallel} at once; ${quick ? 'quick' : 'full'} data\n`,
);

let code = 0;
try {
  // The build does not need the services: both at once.
  const [, build] = await Promise.all([up(), buildProduct(BUILD_DIR, (l) => process.stdout.write(`${l}\n`))]);
  const figs = await runSuite({ scenarios, runs, seed, quick, build, parallel });
  const table = markdownTable(figs, { seed, quick, date: new Date().toISOString().slice(0, 10) });
  process.stdout.write(`\n${table}\n`);
  if (!values['no-write']) writeReliability(path.resolve(import.meta.dirname, '../../docs/RELIABILITY.md'), table);
  const failed = figs.filter((f) => f.runs > 0 && (f.daysExact !== f.daysChecked || f.rowsLost || f.rowsDuplicated || f.openUploads || f.workerDied));
  if (failed.length) {
    process.stdout.write(`[chaos] FAILED: ${failed.map((f) => f.id).join(', ')}\n`);
    code = 1;
  }
} finally {
  if (!values['keep-services']) await down();
}
process.exit(code);
