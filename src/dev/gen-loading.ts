/**
 * Writes docs/LOADING.md from the table spec (npm run docs:loading). test/unit/loading-doc.test.ts
 * fails when the committed file differs, so the recipes cannot drift from the columns.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadingDoc } from '../export/recipes/loading-doc.js';

const target = fileURLToPath(new URL('../../docs/LOADING.md', import.meta.url));
writeFileSync(target, loadingDoc());
console.log(`wrote ${target}`);
