#!/usr/bin/env node
// `ua-export` (npx ua-export): the CLI over the HTTP API. Runs the TypeScript source through tsx, so a
// clone works without a build step. On a node older than the project needs, it re-runs itself under
// the Node 24 that the project's scripts installed into .local/ (scripts/node-env.sh), if there is one.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
if (major < REQUIRED_MAJOR) {
  const local = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.local');
  const installed = existsSync(local)
    ? readdirSync(local)
        .filter((d) => /^node-\d+\.\d+\.\d+$/.test(d) && Number(d.slice(5).split('.')[0]) >= REQUIRED_MAJOR)
        .map((d) => path.join(local, d, 'bin', 'node'))
        .filter((p) => existsSync(p))
    : [];
  if (installed.length === 0) {
    console.error(
      `ua-export needs Node >= ${REQUIRED_MAJOR} (this is ${process.version}); run \`npm test\` or \`npm start\` once to install it into .local/, or install Node ${REQUIRED_MAJOR} LTS`,
    );
    process.exit(1);
  }
  const r = spawnSync(installed[installed.length - 1], [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
await import('../src/cli/main.ts');
