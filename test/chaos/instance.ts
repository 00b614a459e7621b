import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The chaos suite's own service instance (scripts/services.sh with SERVICES_INSTANCE): the suite stops
 * and restarts these services, so it must never share them with developers or the other test files.
 */
const run = promisify(execFile);
export const INSTANCE = process.env.CHAOS_SERVICES_INSTANCE ?? 'chaos';
const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'services.sh');

export type Service = 'postgres' | 'temporal' | 'seaweedfs';

async function services(extraEnv: Record<string, string>, ...args: string[]): Promise<string> {
  const env = { ...process.env, ...extraEnv, SERVICES_INSTANCE: INSTANCE };
  const { stdout } = await run('bash', [SCRIPT, ...args], { env, cwd: ROOT, maxBuffer: 1 << 20 });
  return stdout;
}

export const up = (...s: Service[]): Promise<string> => services({}, 'up', ...s);
export const down = (...s: Service[]): Promise<string> => services({}, 'down', ...s);
/**
 * Stops a service the abrupt way: SIGKILL once `graceSeconds` pass after SIGTERM. SeaweedFS takes its
 * time over a graceful stop, which the quick outage need not wait for.
 */
export const downWithin = (graceSeconds: number, ...s: Service[]): Promise<string> => services({ SERVICES_STOP_TIMEOUT: String(graceSeconds) }, 'down', ...s);

/** The instance's addresses and keys, as `services.sh env` prints them. */
export async function instanceEnv(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await services({}, 'env')).split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    // %q quoting: the values the script prints are plain or single-quoted words
    if (m) out[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  }
  return out;
}
