import cliProgress from 'cli-progress';
import { ApiRequestError, CliError, RequestAborted } from './client.js';
import { estimateEtaMs, formatBytes, formatEta, formatRows } from './format.js';
import type { BackfillView } from './types.js';
import { daysDone, progressLine } from './views.js';

/**
 * `--watch`: polls a backfill until it ends. On a terminal a cli-progress bar redraws in place; anywhere
 * else (CI logs, pipes) one line is printed per change of progress.
 */

export interface ProgressReporter {
  update(b: BackfillView, now: Date): void;
  /** A poll failed and will be retried. */
  warn(message: string): void;
  /** Leaves the terminal clean for what follows. */
  stop(): void;
}

/** What makes a new progress line worth printing: anything but the clock. */
export function progressKey(b: BackfillView): string {
  return [b.status, b.cancelling, b.completedDays, b.failedDays.length, b.inProgressDays.join(','), b.rows, b.bytes].join('|');
}

/** Non-TTY: a line whenever progress changes (and for every new warning). */
export function lineReporter(write: (line: string) => void): ProgressReporter {
  let lastKey: string | undefined;
  let lastWarning: string | undefined;
  return {
    update(b, now) {
      const key = progressKey(b);
      lastWarning = undefined;
      if (key === lastKey) return;
      lastKey = key;
      write(progressLine(b, now));
    },
    warn(message) {
      if (message === lastWarning) return;
      lastWarning = message;
      write(`waiting: ${message}`);
    },
    stop() {},
  };
}

export interface BarStream extends NodeJS.WritableStream {
  isTTY?: boolean;
  columns?: number;
  cursorTo?(x: number, y?: number): boolean;
  clearLine?(dir: -1 | 0 | 1): boolean;
  moveCursor?(dx: number, dy: number): boolean;
}

/** Payload of the bar's format string. */
export function barPayload(b: BackfillView, now: Date): { extra: string; rows: string; bytes: string; etaText: string } {
  const extra: string[] = [];
  if (b.failedDays.length > 0) extra.push(`${b.failedDays.length} failed`);
  if (b.inProgressDays.length > 0) extra.push(`${b.inProgressDays.length} in progress`);
  if (b.cancelling) extra.push('cancelling');
  return {
    extra: extra.length > 0 ? ` (${extra.join(', ')})` : '',
    rows: formatRows(b.rows),
    bytes: formatBytes(b.bytes),
    etaText: formatEta(b.status === 'running' ? estimateEtaMs({ startedAt: b.startedAt, now, done: daysDone(b), total: b.totalDays }) : 0),
  };
}

/** TTY: a cli-progress bar of days done / total with rows, bytes and ETA. */
export function barReporter(stream: BarStream): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      format: ' {bar} {value}/{total} days{extra} | {rows} rows | {bytes} | ETA {etaText}{note}',
      stream,
      hideCursor: true,
      barsize: 28,
      fps: 5,
      clearOnComplete: false,
      stopOnComplete: false,
      linewrap: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(b, now) {
      const payload = { ...barPayload(b, now), note: '' };
      const total = Math.max(1, b.totalDays);
      if (!started) {
        bar.start(total, daysDone(b), payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(daysDone(b), payload);
      }
    },
    warn(message) {
      if (started) bar.update({ note: ` | waiting: ${message}` });
      else stream.write(`waiting: ${message}\n`);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

export interface WatchOptions {
  read(signal: AbortSignal): Promise<BackfillView>;
  reporter: ProgressReporter;
  intervalMs: number;
  signal: AbortSignal;
  now?: () => Date;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** How long polls may keep failing (API unreachable, 5xx) before the watch gives up; default 2 min. */
  giveUpAfterMs?: number;
}

export type WatchResult = { kind: 'finished'; backfill: BackfillView } | { kind: 'interrupted'; last: BackfillView | null };

/** Sleeps, waking early (without error) when the signal aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Failures worth another poll: the API unreachable, 429, or any 5xx (a restarting worker or Temporal
 * can make a progress read fail for a while; the backfill itself is unaffected).
 */
const isTransient = (err: unknown) => (err instanceof ApiRequestError && (err.transient || err.status >= 500)) || (err instanceof CliError && err.unreachable);

/**
 * Polls until the backfill is no longer running (returns it), or the signal aborts (returns the last
 * state seen). A non-transient error (404, 401, …) ends the watch by throwing; transient ones are
 * reported to the reporter and retried until they have lasted `giveUpAfterMs`.
 */
export async function watchBackfill(o: WatchOptions): Promise<WatchResult> {
  const now = o.now ?? (() => new Date());
  const sleep = o.sleep ?? abortableSleep;
  const giveUpAfterMs = o.giveUpAfterMs ?? 120_000;
  let last: BackfillView | null = null;
  let failingSince: number | null = null;
  try {
    for (;;) {
      if (o.signal.aborted) return { kind: 'interrupted', last };
      try {
        const b = await o.read(o.signal);
        failingSince = null;
        last = b;
        o.reporter.update(b, now());
        if (b.status !== 'running') return { kind: 'finished', backfill: b };
      } catch (err) {
        if (err instanceof RequestAborted || o.signal.aborted) return { kind: 'interrupted', last };
        if (!isTransient(err)) throw err;
        failingSince ??= now().getTime();
        if (now().getTime() - failingSince >= giveUpAfterMs) throw err;
        o.reporter.warn((err as Error).message);
      }
      await sleep(o.intervalMs, o.signal);
    }
  } finally {
    o.reporter.stop();
  }
}
