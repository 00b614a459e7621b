import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) by self time: per function and per "where" (a file of
 * this repo, an npm package, node internals, GC). Optionally only the samples inside a window given in
 * CLOCK_MONOTONIC microseconds (what V8 stamps profiles with on Linux, and process.hrtime() reads),
 * so the worker's start-up (workflow bundling) can be left out.
 *
 *   npx tsx bench/cpuprofile-summary.ts FILE.cpuprofile [--from US --to US] [--top N]
 */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  windowMs: number;
  sampledMs: number;
  /** Inside the window and not idle. */
  busyMs: number;
  byWhere: { where: string; ms: number }[];
  byFunction: { fn: string; where: string; ms: number }[];
  windowApplied: boolean;
}

function whereOf(url: string, fn: string, root: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return url;
  let p = url;
  if (p.startsWith('file://')) p = fileURLToPath(p);
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (p.startsWith(root)) return path.relative(root, p);
  return p;
}

export function summarizeProfile(profile: CpuProfile, root: string, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  let sampledUs = 0;
  const applied = !!window && window.fromUs >= profile.startTime - 1e6 && window.toUs <= profile.endTime + 1e6;
  const from = applied ? window.fromUs : -Infinity;
  const to = applied ? window.toUs : Infinity;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t > to) continue;
    // A sample's weight is the time until the next one.
    const weight = profile.timeDeltas[i + 1] ?? 0;
    sampledUs += weight;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + weight);
  }
  const where = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const fn = node.callFrame.functionName || '(anonymous)';
    if (fn === '(idle)') {
      idleUs += us;
      continue;
    }
    const w = whereOf(node.callFrame.url, fn, root);
    where.set(w, (where.get(w) ?? 0) + us);
    const key = `${fn}@${w}:${node.callFrame.lineNumber + 1}`;
    const f = fns.get(key) ?? { fn: `${fn}:${node.callFrame.lineNumber + 1}`, where: w, us: 0 };
    f.us += us;
    fns.set(key, f);
  }
  return {
    windowMs: applied ? (to - from) / 1000 : (profile.endTime - profile.startTime) / 1000,
    sampledMs: sampledUs / 1000,
    busyMs: (sampledUs - idleUs) / 1000,
    byWhere: [...where].map(([w, us]) => ({ where: w, ms: us / 1000 })).sort((a, b) => b.ms - a.ms),
    byFunction: [...fns.values()].map((f) => ({ fn: f.fn, where: f.where, ms: f.us / 1000 })).sort((a, b) => b.ms - a.ms),
    windowApplied: applied,
  };
}

export function formatProfileSummary(s: ProfileSummary, top = 15): string {
  const pct = (ms: number) => `${((ms / Math.max(s.sampledMs, 1e-9)) * 100).toFixed(1)}%`;
  const lines = [
    `main JS thread: ${(s.busyMs / 1000).toFixed(2)} s busy of ${(s.sampledMs / 1000).toFixed(2)} s sampled (${pct(s.busyMs)})` +
      (s.windowApplied ? ' in the export window' : ' over the whole profile'),
    '  self time by where:',
    ...s.byWhere.slice(0, top).map((w) => `    ${pct(w.ms).padStart(6)}  ${(w.ms / 1000).toFixed(2).padStart(7)} s  ${w.where}`),
    '  self time by function:',
    ...s.byFunction.slice(0, top).map((f) => `    ${pct(f.ms).padStart(6)}  ${(f.ms / 1000).toFixed(2).padStart(7)} s  ${f.fn}  (${f.where})`),
  ];
  return lines.join('\n');
}

export function loadProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
  if (!file) {
    console.error('usage: npx tsx bench/cpuprofile-summary.ts FILE.cpuprofile [--from US --to US] [--top N]');
    process.exit(2);
  }
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const from = opt('--from');
  const to = opt('--to');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const s = summarizeProfile(loadProfile(file), root, from !== undefined && to !== undefined ? { fromUs: from, toUs: to } : undefined);
  console.log(formatProfileSummary(s, opt('--top') ?? 25));
}
