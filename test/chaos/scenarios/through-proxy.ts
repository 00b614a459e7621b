import type { Integration } from '../../../src/integrations/repo.js';
import type { Lab } from '../lab.js';
import { startFaultProxy, type FaultProxy, type FaultRule, type ProxyEvent } from '../fault-proxy.js';
import { emptyOutcome, type RunOutcome } from '../scenario.js';
import { unexpectedExits } from './common.js';

/**
 * Runs one export of `day` with the integration pointing at the fault proxy in front of SeaweedFS;
 * `inject` arranges the faults (rules, kills) and returns when it has injected the last one.
 */
export async function throughProxy(
  lab: Lab,
  seed: number,
  day: string,
  inject: (p: FaultProxy, integration: Integration, events: ProxyEvent[], out: RunOutcome) => Promise<void>,
  finish?: (events: ProxyEvent[], out: RunOutcome) => void,
  timeoutMs = lab.quick ? 300_000 : 1_800_000,
): Promise<RunOutcome> {
  const out = emptyOutcome();
  const proxy = await startFaultProxy({ target: lab.env.LOCAL_S3_ENDPOINT, seed });
  const events: ProxyEvent[] = [];
  const off = proxy.onEvent((e) => events.push(e));
  try {
    const integration = await lab.integration({ endpoint: proxy.url });
    if (!lab.workers.some((w) => w.alive())) await lab.startWorker();
    const wf = await lab.backfill(integration, day, day);
    await inject(proxy, integration, events, out);
    const faultAt = Date.now();
    const status = await lab.waitClosed(wf, timeoutMs);
    out.faultToDeliveredMs.push(Date.now() - faultAt);
    if (status !== 'COMPLETED') out.notes.push(`backfill closed ${status}`);
    proxy.clearRules();
    out.notes.push(...unexpectedExits(lab));
    const v = await lab.verify(integration, [day]);
    out.verdicts = v.verdicts;
    out.openUploads = v.openUploads;
    out.faults += events.filter((e) => e.fault !== null).length;
    finish?.(events, out);
    return out;
  } finally {
    off();
    await proxy.close();
  }
}

/** Part numbers uploaded more than once: the work a resume rebuilt. */
export function partsUploadedTwice(events: ProxyEvent[], after = 0): number {
  const seen = new Map<string, number>();
  for (const e of events) {
    if (e.op !== 'UploadPart' || e.status !== 200 || e.startedAt < after) continue;
    const n = new URLSearchParams(e.query).get('partNumber') ?? '?';
    seen.set(n, (seen.get(n) ?? 0) + 1);
  }
  return [...seen.values()].filter((c) => c > 1).length;
}

export const rule = (r: FaultRule): FaultRule => r;
