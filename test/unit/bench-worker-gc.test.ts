import { describe, expect, it } from 'vitest';
import { formatGcDelta, gcDelta, parseGcTotals } from '../../bench/worker-gc.js';

/** The bench's reading of the worker's GC pauses from its metrics (prom-client's exposition format). */
const exposition = (
  minor: [number, number],
  major: [number, number],
) => `# HELP ua_export_nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.
# TYPE ua_export_nodejs_gc_duration_seconds histogram
ua_export_nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 3
ua_export_nodejs_gc_duration_seconds_sum{kind="minor"} ${minor[1]}
ua_export_nodejs_gc_duration_seconds_count{kind="minor"} ${minor[0]}
ua_export_nodejs_gc_duration_seconds_sum{kind="major"} ${major[1]}
ua_export_nodejs_gc_duration_seconds_count{kind="major"} ${major[0]}
ua_export_nodejs_heap_size_total_bytes 1234
`;

describe('worker GC from its metrics', () => {
  it('parses count and seconds per kind, and nothing else', () => {
    const t = parseGcTotals(exposition([10, 0.02], [1, 0.015]));
    expect([...t.entries()]).toEqual([
      ['minor', { count: 10, seconds: 0.02 }],
      ['major', { count: 1, seconds: 0.015 }],
    ]);
  });

  it('the difference between two readings: major first, kinds with no pause left out', () => {
    const before = parseGcTotals(exposition([10, 0.02], [1, 0.015]));
    const after = parseGcTotals(exposition([74, 0.152], [1, 0.015]));
    const delta = gcDelta(before, after);
    expect(delta).toHaveLength(1);
    expect(delta[0]!.kind).toBe('minor');
    expect(delta[0]!.count).toBe(64);
    expect(delta[0]!.ms).toBeCloseTo(132, 6);
    const both = gcDelta(before, parseGcTotals(exposition([20, 0.04], [3, 0.075])));
    expect(both.map((d) => d.kind)).toEqual(['major', 'minor']);
    expect(formatGcDelta(both)).toBe('80 ms in 12 pauses (major 2: 60 ms, minor 10: 20 ms)');
    expect(formatGcDelta([])).toBe('none');
  });
});
