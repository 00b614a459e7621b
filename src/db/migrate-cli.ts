import { loadEnv } from '../config/env.js';
import { migrate } from './migrate.js';

const env = loadEnv();
await migrate(env.DATABASE_URL, (m) => console.log(m));
console.log('migrations applied');
