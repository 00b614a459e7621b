import path from 'node:path';
import { runner } from 'node-pg-migrate';
import { PROJECT_ROOT } from '../paths.js';

const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');

/** Applies pending migrations under node-pg-migrate's advisory lock, so concurrent starters are safe. */
export async function migrate(databaseUrl: string, log: (msg: string) => void = () => undefined): Promise<void> {
  await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    count: Infinity,
    advisoryLockMode: 'wait',
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
}
