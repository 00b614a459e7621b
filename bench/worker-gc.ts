/**
 * The worker's garbage collections on its main thread, read from its own metrics endpoint (prom-client's
 * `nodejs_gc_duration_seconds`, which the worker exports with the `ua_export_` prefix): how often V8
 * stopped the event loop to collect, by kind, and for how long. Read before and after an export, the
 * difference is what the export's allocations cost in pauses: a figure that does not move with the
 * machine's speed the way CPU time does.
 */
export type GcTotals = Map<string, { count: number; seconds: number }>;

const SERIES = /^ua_export_nodejs_gc_duration_seconds_(count|sum)\{kind="(\w+)"\} (\S+)$/;

export function parseGcTotals(exposition: string): GcTotals {
  const totals: GcTotals = new Map();
  for (const line of exposition.split('\n')) {
    const m = SERIES.exec(line);
    if (!m) continue;
    const t = totals.get(m[2]!) ?? { count: 0, seconds: 0 };
    if (m[1] === 'count') t.count = Number(m[3]);
    else t.seconds = Number(m[3]);
    totals.set(m[2]!, t);
  }
  return totals;
}

/** The worker's totals so far; null when its metrics endpoint does not answer (the figure is then left out). */
export async function readGcTotals(metricsPort: number): Promise<GcTotals | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? parseGcTotals(await res.text()) : null;
  } catch {
    return null;
  }
}

export interface GcDelta {
  kind: string;
  count: number;
  ms: number;
}

/** What happened between two readings, kinds in V8's order of cost (major first), those with none left out. */
export function gcDelta(before: GcTotals, after: GcTotals): GcDelta[] {
  const order = ['major', 'incremental', 'minor', 'weakcb'];
  const kinds = [...after.keys()].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  return kinds
    .map((kind) => {
      const a = after.get(kind)!;
      const b = before.get(kind) ?? { count: 0, seconds: 0 };
      return { kind, count: a.count - b.count, ms: (a.seconds - b.seconds) * 1000 };
    })
    .filter((d) => d.count > 0);
}

export function formatGcDelta(delta: readonly GcDelta[]): string {
  if (delta.length === 0) return 'none';
  const total = delta.reduce((s, d) => s + d.ms, 0);
  return `${total.toFixed(0)} ms in ${delta.reduce((s, d) => s + d.count, 0)} pauses (${delta.map((d) => `${d.kind} ${d.count}: ${d.ms.toFixed(0)} ms`).join(', ')})`;
}
