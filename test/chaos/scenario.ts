import type { Lab } from './lab.js';
import type { DayVerdict } from './verify.js';

/** One run of one scenario: what was injected, what the verifier found, how long recovery took. */
export interface RunOutcome {
  faults: number;
  /** ms from each fault (the last one of a run) to the workflow's close with every day delivered. */
  faultToDeliveredMs: number[];
  verdicts: DayVerdict[];
  openUploads: string[];
  /** null where the scenario does not require the worker process to survive. */
  workerSurvived: boolean | null;
  partsRebuilt: number[];
  notes: string[];
  skipped?: string;
}

export interface RunContext {
  /** Seeded: every random moment and choice of a run comes from here. */
  rnd: () => number;
  runIndex: number;
  quick: boolean;
}

export interface Scenario {
  id: string;
  title: string;
  /** At most this many runs whatever `--runs` says (the soak is one long run). */
  maxRuns?: number;
  /** Runs in the full suite when `--runs` is not given (default 3). */
  fullRuns?: number;
  /** Stops or reconfigures a service every run depends on (Postgres, Temporal, S3, database settings): never alongside another scenario. */
  exclusive?: boolean;
  run(lab: Lab, ctx: RunContext): Promise<RunOutcome>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const between = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo));

export function emptyOutcome(): RunOutcome {
  return { faults: 0, faultToDeliveredMs: [], verdicts: [], openUploads: [], workerSurvived: null, partsRebuilt: [], notes: [] };
}
