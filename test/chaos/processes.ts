import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Real worker and API processes (src/worker/main.ts, src/api/main.ts, compiled by ./build.ts and run by
 * plain node; a .ts entry runs under `node --import tsx`), so a fault hits what production runs: a
 * SIGKILL is a crash, an unhandled 'error' is an exit we record.
 */
export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** Set when the process ended; `expected` is false unless this module was asked to end it. */
  exit: { code: number | null; signal: NodeJS.Signals | null; expected: boolean; at: number } | null;
  alive(): boolean;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

// A runner that is interrupted must not leave workers polling (and exporting) behind it.
const live = new Set<ChildProcess>();
process.once('exit', () => live.forEach((c) => c.kill('SIGKILL')));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function logText(p: Proc): string {
  try {
    return readFileSync(p.logFile, 'utf8');
  } catch {
    return '';
  }
}

/** Spawns `entry` and resolves once it is ready: the IPC `{ ready: true }` or, for the API, `readyUrl` answering. */
export async function spawnProc(opts: {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  readyUrl?: string;
  readyTimeoutMs?: number;
}): Promise<Proc> {
  const fd = openSync(opts.logFile, 'a');
  const args = opts.entry.endsWith('.ts') ? ['--import', 'tsx', opts.entry] : [opts.entry];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: opts.env, stdio: ['ignore', fd, fd, 'ipc'] });
  closeSync(fd);
  live.add(child);
  child.once('exit', () => live.delete(child));
  let killing = false;
  const proc: Proc = {
    name: opts.name,
    pid: child.pid!,
    child,
    logFile: opts.logFile,
    exit: null,
    alive: () => proc.exit === null,
    async kill(signal = 'SIGKILL') {
      if (proc.exit) return;
      killing = true;
      const done = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await done;
    },
  };
  child.once('exit', (code, signal) => {
    proc.exit = { code, signal, expected: killing, at: Date.now() };
  });
  // Generous: on a loaded machine a start can take minutes, and a slow start is not the fault under test.
  const timeoutMs = opts.readyTimeoutMs ?? 300_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.name} not ready after ${timeoutMs} ms; log ${opts.logFile}:\n${tail(opts.logFile)}`)), timeoutMs);
    const ok = () => {
      clearTimeout(timer);
      resolve();
    };
    child.on('message', (m: unknown) => {
      if (m && typeof m === 'object' && (m as { ready?: unknown }).ready === true) ok();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited before ready (code ${code}, signal ${signal}); log ${opts.logFile}:\n${tail(opts.logFile)}`));
    });
    if (opts.readyUrl) {
      const url = opts.readyUrl;
      const poll = async () => {
        while (proc.exit === null) {
          const res = await fetch(url).catch(() => null);
          if (res?.ok) return ok();
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      void poll();
    }
  });
  return proc;
}
