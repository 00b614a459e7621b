import { runSoak, RSS_BAR_BYTES } from '../soak.js';
import { emptyOutcome, type Scenario } from '../scenario.js';

/**
 * 10. Soak: the worker exporting back-to-back backfills for 30 minutes (test/chaos/soak.ts, the same
 * run as `npm run soak`), on the chaos instance. Its bar is memory and handle counts, not delivery:
 * the verdict's problems are reported as the run's problems. `--skip soak` leaves it out.
 */
const MIB = 2 ** 20;

export const soak: Scenario = {
  id: 'soak',
  title: 'Soak: back-to-back backfills for 30 minutes, RSS under the bar, no count growing',
  maxRuns: 1,
  exclusive: true,
  async run(lab, { quick }) {
    const out = emptyOutcome();
    const minutes = quick ? 2 : 30;
    const report = await runSoak({ minutes, env: lab.env, log: (m) => process.stdout.write(`[chaos soak] ${m}\n`) });
    const rss = report.metrics.rss;
    out.notes.push(
      `${minutes} min, ${report.backfills.length} backfills, RSS ${(rss.first / MIB).toFixed(0)} → ${(rss.last / MIB).toFixed(0)} MiB (peak ${(rss.peak / MIB).toFixed(0)}, bar ${RSS_BAR_BYTES / MIB})`,
    );
    for (const p of report.verdict.problems) out.notes.push(`BUG (soak bar): ${p}`);
    out.workerSurvived = report.backfills.length > 0;
    return out;
  },
};
