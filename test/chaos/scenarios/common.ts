import { exportWorkflowId } from '../../../src/temporal/ids.js';
import type { Lab } from '../lab.js';
import { sleep } from '../scenario.js';

/**
 * Resolves once the day's export has an uploadParts attempt running that has checkpointed at least
 * `minParts` parts, so a fault injected next lands in the middle of a multipart upload.
 */

// PENDING_ACTIVITY_STATE_STARTED (@temporalio/proto's enum is not importable as ESM).
const STARTED = 2;

/** Thrown when the export finished before a fault could land in it: the run's earlier faults still count. */
export class ExportAlreadyClosed extends Error {
  override name = 'ExportAlreadyClosed';
}

export async function uploadUnderway(
  lab: Lab,
  integrationId: string,
  day: string,
  opts: { minParts?: number; afterAttempt?: number; timeoutMs?: number } = {},
): Promise<{ parts: number; attempt: number }> {
  const { minParts = 0, afterAttempt = 0, timeoutMs = 180_000 } = opts;
  const handle = lab.client.workflow.getHandle(exportWorkflowId(integrationId, day));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const d = await handle.describe().catch(() => null);
    if (d && d.status.name !== 'RUNNING') throw new ExportAlreadyClosed(`export of ${day} closed (${d.status.name}) before the fault could be injected`);
    const pending = d?.raw.pendingActivities?.find((a) => a.activityType?.name === 'uploadParts' && Number(a.state) === STARTED);
    if (pending) {
      const payload = pending.heartbeatDetails?.payloads?.[0]?.data;
      const cp = payload && payload.length > 0 ? (JSON.parse(Buffer.from(payload).toString('utf8')) as { parts?: unknown[] } | null) : null;
      const parts = cp?.parts?.length ?? 0;
      const attempt = pending.attempt ?? 1;
      if (parts >= minParts && attempt > afterAttempt) return { parts, attempt };
    }
    await sleep(150);
  }
  throw new Error(`no uploadParts attempt of ${day} with ${minParts}+ parts within ${timeoutMs} ms`);
}

/** Restarts dead workers (a kill, or an unexpected exit) until `until` resolves. */
export function keepOneWorker(lab: Lab, until: Promise<unknown>): Promise<void> {
  let done = false;
  void until.finally(() => (done = true));
  return (async () => {
    while (!done) {
      if (!lab.workers.some((w) => w.alive())) await lab.startWorker();
      await sleep(300);
    }
  })();
}

export function unexpectedExits(lab: Lab): string[] {
  return [...lab.workers, ...lab.others]
    .filter((w) => w.exit && !w.exit.expected)
    .map((w) => `${w.name} (pid ${w.pid}) exited: code ${w.exit!.code} signal ${w.exit!.signal}`);
}
