#!/usr/bin/env node
// `ua-export` (npx ua-export): the CLI over the HTTP API. Runs the TypeScript source through tsx, so a
// clone works without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
