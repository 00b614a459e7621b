import path from 'node:path';
import { parseArgs } from 'node:util';
import { down, up } from './instance.js';
import { markdownTable, writeReliability } from './report.js';
import { runSuite } from './run.js';
import { SCENARIOS } from './scenarios/index.js';

/**
 * `npm run chaos [-- --scenario a,b --runs N --seed S --quick --keep-services --no-write]`: brings the
 * chaos service instance up, runs the scenarios, prints the figures and (a full selection) writes them
 * into docs/RELIABILITY.md, then stops the instance.
 */
const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'keep-services': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});
const scenarios = values.scenario ? values.scenario.split(',').map((s) => s.trim()) : SCENARIOS.map((s) => s.id);
const quick = values.quick;
const runs = Number(values.runs ?? (quick ? 1 : 6));
const seed = Number(values.seed ?? Math.floor(Math.random() * 1e6));
process.stdout.write(
  `[chaos] seed ${seed} (repeat with --seed ${seed}); scenarios ${scenarios.join(', ')}; ${runs} run(s) each; ${quick ? 'quick' : 'full'} data\n`,
);

await up();
let code = 0;
try {
  const figs = await runSuite({ scenarios, runs, seed, quick });
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
