/**
 * Bundles the workflow code into one file. The worker process runs this as a short-lived child at
 * start, so webpack's few hundred MB never enter the long-running worker's heap (it loads the file).
 * `npm run build:workflows` runs it at build time instead (WORKFLOW_BUNDLE_PATH).
 * Usage: node --import tsx src/worker/bundle-workflows.ts <out.js>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './worker.js';

const out = process.argv[2];
if (!out) throw new Error('usage: bundle-workflows.ts <out.js>');
const { code } = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error },
});
mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
writeFileSync(out, code);
