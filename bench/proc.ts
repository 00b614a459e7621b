import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';

/** Linux /proc readers for the benchmark: memory of one process, CPU time per process group. */

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface MemStatus {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size over the process's life (VmHWM), bytes. */
  hwm: number;
  threads: number;
}

/** VmRSS / VmHWM / Threads of a live process; null once it is gone. */
export function memStatus(pid: number): MemStatus | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  const threads = /^Threads:\s+(\d+)/m.exec(text);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), threads: threads ? Number(threads[1]) : 0 };
}

interface Stat {
  comm: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** stime alone (the kernel's share: socket copies, page faults), in clock ticks. */
  sysTicks: number;
}

function parseStat(text: string): Stat | null {
  // comm may hold spaces and parentheses: it runs from the first '(' to the last ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) return null;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14, stime field 15.
  return { comm: text.slice(open + 1, close), ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]), sysTicks: Number(rest[12]) };
}

export function procStat(pid: number): Stat | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

export function exePath(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

/** Direct child processes of `pid`. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = procStat(Number(d));
    if (s && s.ppid === pid) out.push(Number(d));
  }
  return out;
}

/** CPU ticks per thread of one process, keyed by thread id, with the thread's name. */
export function threadTicks(pid: number): Map<number, { comm: string; ticks: number }> {
  const out = new Map<number, { comm: string; ticks: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const s = parseStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      if (s) out.set(Number(tid), { comm: s.comm, ticks: s.ticks });
    } catch {
      /* thread exited */
    }
  }
  return out;
}

/** CPU seconds per thread name between two threadTicks snapshots (threads born in between count from 0). */
export function threadCpuDelta(
  pid: number,
  before: Map<number, { comm: string; ticks: number }>,
  after: Map<number, { comm: string; ticks: number }>,
): { name: string; threads: number; seconds: number }[] {
  const byName = new Map<string, { threads: number; ticks: number }>();
  for (const [tid, a] of after) {
    const d = a.ticks - (before.get(tid)?.ticks ?? 0);
    const name = tid === pid ? 'main thread (JS event loop)' : a.comm;
    const g = byName.get(name) ?? { threads: 0, ticks: 0 };
    g.threads++;
    g.ticks += d;
    byName.set(name, g);
  }
  return [...byName]
    .map(([name, g]) => ({ name, threads: g.threads, seconds: g.ticks / CLK_TCK }))
    .filter((g) => g.seconds > 0)
    .sort((x, y) => y.seconds - x.seconds);
}

/**
 * CPU seconds per process group over a window, sampled periodically so processes that start or end
 * inside the window (a Postgres backend for a new connection) are still counted.
 */
export class CpuGroups {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, { group: string; ticks: number }>();
  private readonly timeline: { t: number; byGroup: Map<string, number> }[] = [];
  private prevTotals = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private t0 = 0;

  constructor(private readonly groupOf: (pid: number, comm: string) => string) {}

  start(intervalMs: number): void {
    this.t0 = performance.now();
    this.sample(true);
    this.prevTotals = this.totals();
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.tick();
  }

  private tick(): void {
    this.sample(false);
    const totals = this.totals();
    const byGroup = new Map<string, number>();
    for (const [g, v] of totals) byGroup.set(g, v - (this.prevTotals.get(g) ?? 0));
    this.prevTotals = totals;
    this.timeline.push({ t: performance.now() - this.t0, byGroup });
  }

  private sample(initial: boolean): void {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const pid = Number(d);
      const s = procStat(pid);
      if (!s) continue;
      if (!this.first.has(pid)) this.first.set(pid, initial ? s.ticks : 0);
      this.last.set(pid, { group: this.groupOf(pid, s.comm), ticks: s.ticks });
    }
  }

  private totals(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [pid, l] of this.last) out.set(l.group, (out.get(l.group) ?? 0) + (l.ticks - (this.first.get(pid) ?? 0)));
    return out;
  }

  /** CPU seconds per group over the whole window, largest first. */
  seconds(): { group: string; seconds: number }[] {
    return [...this.totals()]
      .map(([group, ticks]) => ({ group, seconds: ticks / CLK_TCK }))
      .filter((g) => g.seconds > 0)
      .sort((a, b) => b.seconds - a.seconds);
  }

  /** Average cores used per group in buckets of `bucketMs`. */
  buckets(bucketMs: number): { startMs: number; cores: Map<string, number> }[] {
    const out: { startMs: number; cores: Map<string, number> }[] = [];
    for (const s of this.timeline) {
      const i = Math.floor(Math.max(0, s.t - 1) / bucketMs);
      while (out.length <= i) out.push({ startMs: out.length * bucketMs, cores: new Map() });
      const b = out[i]!;
      for (const [g, ticks] of s.byGroup) b.cores.set(g, (b.cores.get(g) ?? 0) + ticks / CLK_TCK / (bucketMs / 1000));
    }
    return out;
  }
}

export interface MachineInfo {
  nproc: number;
  memTotal: string;
  cpuModel: string;
  kernel: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = 'unknown';
  let memTotal = `${Math.round(os.totalmem() / 2 ** 30)} GiB`;
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    /* not Linux */
  }
  try {
    const m = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) memTotal = `${(Number(m[1]) / 2 ** 20).toFixed(1)} GiB`;
  } catch {
    /* not Linux */
  }
  let nproc = os.availableParallelism();
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    /* keep Node's count */
  }
  return { nproc, memTotal, cpuModel, kernel: `${os.type()} ${os.release()}`, node: process.version };
}

/** CPU ticks per process, for every process on the machine except `exclude`. */
function ticksExcept(exclude: Set<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || exclude.has(Number(d))) continue;
    const s = procStat(Number(d));
    if (s) out.set(Number(d), s.ticks);
  }
  return out;
}

/**
 * Waits (up to maxMs) until the rest of the machine uses less than `maxCores` over a 2 s window, so a
 * measurement does not start while something else (another engineer's test run) is busy.
 * Returns the cores the rest of the machine used in the last window.
 */
export async function waitForQuiet(exclude: number[], maxCores = 0.25, maxMs = 60_000): Promise<{ cores: number; waitedMs: number }> {
  const ex = new Set(exclude);
  const t0 = performance.now();
  for (;;) {
    const a = ticksExcept(ex);
    await new Promise((r) => setTimeout(r, 2_000));
    let ticks = 0;
    // Processes born in the window count from 0; ones that ended in it are lost (never negative).
    for (const [pid, t] of ticksExcept(ex)) ticks += t - (a.get(pid) ?? 0);
    const cores = ticks / CLK_TCK / 2;
    const waitedMs = performance.now() - t0;
    if (cores <= maxCores || waitedMs >= maxMs) return { cores, waitedMs };
  }
}

/**
 * Postgres processes by what they serve, from their process title ("postgres: USER DB HOST ACTIVITY"):
 * backends of `db` are the benchmark's; the cluster is shared, so backends of other databases are
 * someone else's work, and the background processes (WAL writer, checkpointer, …) serve everyone.
 */
export function postgresGroup(pid: number, db: string): string {
  const title = cmdline(pid).join(' ').trim().split(/\s+/);
  if (title[0] !== 'postgres:') return 'postgres (background)';
  // "postgres: parallel worker for PID N" works for the backend N, whose title names the database.
  if (title[1] === 'parallel' && title[2] === 'worker') {
    const leader = Number(title[5]);
    return Number.isInteger(leader) && leader > 0 && leader !== pid ? postgresGroup(leader, db) : 'postgres (background)';
  }
  if (title[1] === 'autovacuum' || title.length < 4) return title.includes(db) ? 'postgres' : 'postgres (background)';
  return title[2] === db ? 'postgres' : 'other: postgres (other databases)';
}

/** Where a process's resident memory lives, from /proc/<pid>/smaps (bytes). */
export interface SmapsBreakdown {
  /** Pages of mapped files: the node binary, native addons (the Temporal core), shared libraries. */
  file: number;
  /** Anonymous memory in mappings of 1 MiB or more: glibc arenas and large buffers (part buffers are 8–16 MiB each). */
  anonLarge: number;
  /** Anonymous memory in smaller mappings: mostly V8 heap pages of every isolate (main thread and workflow threads). */
  anonSmall: number;
}

export function smapsBreakdown(pid: number): SmapsBreakdown | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return null;
  }
  const out: SmapsBreakdown = { file: 0, anonLarge: 0, anonSmall: 0 };
  let size = 0;
  let anon = true;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      size = parseInt(head[2]!, 16) - parseInt(head[1]!, 16);
      const name = head[3]!.trim();
      anon = name === '' || name.startsWith('[');
      continue;
    }
    if (!line.startsWith('Rss:')) continue;
    const rss = Number(line.split(/\s+/)[1]) * 1024;
    if (!anon) out.file += rss;
    else if (size >= 2 ** 20) out.anonLarge += rss;
    else out.anonSmall += rss;
  }
  return out;
}

/**
 * CPU seconds of a process and of every child it has waited for (utime + stime + cutime + cstime): for
 * a Postgres postmaster that includes the backends of connections already closed.
 */
export function cpuWithReapedChildren(pid: number): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3: utime, stime, cutime, cstime are fields 14–17.
    return (Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** CPU seconds of a process and all its live descendants, each with its reaped children. */
export function treeCpuSeconds(pid: number): number | null {
  const own = cpuWithReapedChildren(pid);
  if (own === null) return null;
  return childPids(pid).reduce((sum, c) => sum + (treeCpuSeconds(c) ?? 0), own);
}
