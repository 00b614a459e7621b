import type { Scenario } from '../scenario.js';
import { flakyS3 } from './flaky-s3.js';
import { lostResponses } from './lost-responses.js';
import { poison } from './poison.js';
import { postgresFaults } from './postgres.js';
import { s3Outage } from './s3-outage.js';
import { slow } from './slow.js';
import { soak } from './soak.js';
import { staleCheckpoint } from './stale-checkpoint.js';
import { temporalRestart } from './temporal-restart.js';
import { workerKill } from './worker-kill.js';

/** Scenarios 1–10 of issue 9, in the order. */
export const SCENARIOS: Scenario[] = [workerKill, staleCheckpoint, postgresFaults, temporalRestart, s3Outage, lostResponses, flakyS3, slow, poison, soak];
