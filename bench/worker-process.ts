import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { childPids, cmdline, exePath, memStatus, type MemStatus } from './proc.js';

/**
 * The real worker (src/worker/main.ts) as a child process. It is spawned as `node --import tsx …`
 * rather than through `npx tsx`, so the child's pid is the node process that runs the worker and
 * its /proc/<pid>/status is the worker's memory (no wrapper process in between).
 */
export interface WorkerProcess {
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** ms from spawn to the worker's `{ ready: true }`. */
  readyMs: number;
  atReady: MemStatus;
  /** What was checked to make sure `pid` is the worker itself. */
  identity: string;
  /** Child processes that are not the worker (tsx's esbuild service). */
  helperPids: number[];
  /**
   * Start-up, sampled every 100 ms until ready: each child process seen (the worker may bundle its
   * workflows in a short-lived child) with its peak RSS, and the peak of worker + children RSS together,
   * which is what a container's memory limit would see.
   */
  startup: { children: { pid: number; argv: string; peakRss: number }[]; combinedPeakRss: number };
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnWorkerOptions {
  root: string;
  /** The worker's entry: src/worker/main.ts under tsx (default), or a compiled main.js. */
  entry?: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/x']. */
  nodeFlags?: string[];
  readyTimeoutMs?: number;
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function spawnWorker(opts: SpawnWorkerOptions): Promise<WorkerProcess> {
  const entry = opts.entry ?? path.join('src', 'worker', 'main.ts');
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const fd = openSync(opts.logFile, 'a');
  const t0 = performance.now();
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), ...loader, entry], {
    cwd: opts.root,
    env: opts.env,
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  closeSync(fd);
  // Whatever way this process ends (an error, process.exit on a second Ctrl-C), the worker must not
  // outlive it: it would go on polling the task queue and holding its memory and connections.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve({ code, signal });
    }),
  );

  const startupChildren = new Map<number, { pid: number; argv: string; peakRss: number }>();
  let combinedPeakRss = 0;
  const sampleStartup = () => {
    if (!child.pid) return;
    const own = memStatus(child.pid);
    if (!own) return;
    let total = own.rss;
    for (const pid of childPids(child.pid)) {
      const m = memStatus(pid);
      if (!m) continue;
      total += m.rss;
      const seen = startupChildren.get(pid) ?? { pid, argv: cmdline(pid).join(' '), peakRss: 0 };
      seen.peakRss = Math.max(seen.peakRss, m.rss, m.hwm);
      startupChildren.set(pid, seen);
    }
    combinedPeakRss = Math.max(combinedPeakRss, total);
  };
  const startupTimer = setInterval(sampleStartup, 100);

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`worker not ready after ${opts.readyTimeoutMs ?? 180_000} ms; log ${opts.logFile}:\n${tail(opts.logFile)}`));
      }, opts.readyTimeoutMs ?? 180_000);
      child.on('message', (m: unknown) => {
        if (m && typeof m === 'object' && (m as { ready?: unknown }).ready === true) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`worker exited before ready (code ${code}, signal ${signal}); log ${opts.logFile}:\n${tail(opts.logFile)}`));
      });
    });
  } finally {
    clearInterval(startupTimer);
  }
  sampleStartup();
  const readyMs = performance.now() - t0;
  const pid = child.pid!;

  // Make sure the pid we sample is the process running the worker, not a launcher. tsx's loader runs
  // esbuild as a service child process; that one is not the worker and is reported separately.
  const exe = exePath(pid);
  const argv = cmdline(pid);
  const kids = childPids(pid).map((p) => ({ pid: p, argv: cmdline(p) }));
  const helpers = kids.filter((k) => k.argv.some((a) => a.startsWith('--service')) && k.argv[0]?.endsWith('esbuild'));
  const problem =
    !exe || path.basename(exe) !== path.basename(process.execPath)
      ? `worker pid ${pid} runs ${exe}, not node`
      : !argv.some((a) => a.endsWith(entry))
        ? `worker pid ${pid} command line is ${argv.join(' ')}`
        : kids.length > helpers.length
          ? `worker pid ${pid} has unexpected child processes ${kids.map((k) => `${k.pid} ${k.argv.join(' ')}`).join('; ')}`
          : null;
  const atReady = memStatus(pid);
  if (problem || !atReady) {
    child.kill('SIGKILL');
    throw new Error(problem ?? `worker pid ${pid} vanished`);
  }
  const identity =
    `pid ${pid} = ${path.basename(exe!)} ${argv.slice(1).join(' ')}; it holds the IPC channel that sent ready; ${atReady.threads} threads` +
    (helpers.length ? `; its only child is tsx's esbuild service (pid ${helpers.map((h) => h.pid).join(', ')}), measured apart` : '; no child processes');
  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  return {
    pid,
    child,
    logFile: opts.logFile,
    readyMs,
    atReady,
    identity,
    helperPids: helpers.map((h) => h.pid),
    startup: { children: [...startupChildren.values()], combinedPeakRss },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          // The Temporal worker shuts down gracefully on SIGTERM; main.ts then closes its pool and exits
          // (and a --cpu-prof profile is written on that exit).
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          const r = await exited;
          clearTimeout(timer);
          return r;
        }
        return exited;
      })();
      return stopping;
    },
  };
}

/** How far VmHWM must rise above every sampled RSS to count as a peak between samples. */
const TRANSIENT_BYTES = 2 * 2 ** 20;

/** Samples VmRSS / VmHWM of one pid every `intervalMs`. */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  samples = 0;
  maxRss = 0;
  lastHwm = 0;
  series: { t: number; rss: number }[] = [];
  /**
   * Peaks no sample saw: VmHWM rose above every RSS sampled so far by more than `TRANSIENT_BYTES`, so
   * something held that memory for less than one interval. Between which samples (ms after start), and
   * the RSS each of them read.
   */
  transients: { from: number; to: number; wallFrom: Date; wallTo: Date; hwm: number; rssBefore: number; rssAfter: number }[] = [];
  private t0 = 0;
  private lastRss = 0;
  private lastT = 0;
  private lastWall = new Date(0);

  constructor(private readonly pid: number) {}

  start(intervalMs = 100): void {
    this.t0 = performance.now();
    this.read();
    this.timer = setInterval(() => this.read(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.read();
  }

  private read(): void {
    const s = memStatus(this.pid);
    if (!s) return;
    this.samples++;
    const t = performance.now() - this.t0;
    const wall = new Date();
    const seen = Math.max(this.maxRss, s.rss, this.lastHwm);
    if (this.samples > 1 && s.hwm > seen + TRANSIENT_BYTES) {
      this.transients.push({ from: this.lastT, to: t, wallFrom: this.lastWall, wallTo: wall, hwm: s.hwm, rssBefore: this.lastRss, rssAfter: s.rss });
    }
    this.lastRss = s.rss;
    this.lastT = t;
    this.lastWall = wall;
    this.maxRss = Math.max(this.maxRss, s.rss);
    this.lastHwm = Math.max(this.lastHwm, s.hwm);
    this.series.push({ t, rss: s.rss });
  }
}
