import { CommanderError } from 'commander';
import { ApiRequestError, CliError, RequestAborted } from './client.js';
import type { BackfillView, TestConnectionView } from './types.js';

/**
 * Exit codes:
 *   0    success
 *   1    the operation ran but failed (days failed, the backfill failed or was cancelled, the
 *        connection test failed)
 *   2    the request was refused or could not be made: an API error (4xx/5xx), the API unreachable,
 *        a usage error (unknown option, missing argument)
 *   130  interrupted (Ctrl-C while watching; the backfill itself goes on)
 */
export const EXIT = { OK: 0, FAILED: 1, ERROR: 2, INTERRUPTED: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A finished backfill: 0 only when it completed with no failed day. */
export function backfillExitCode(b: Pick<BackfillView, 'status' | 'failedDays'>): ExitCode {
  if (b.status === 'completed' && b.failedDays.length === 0) return EXIT.OK;
  if (b.status === 'running') return EXIT.OK; // not finished: nothing has failed yet
  return EXIT.FAILED;
}

export function testConnectionExitCode(r: Pick<TestConnectionView, 'ok'>): ExitCode {
  return r.ok ? EXIT.OK : EXIT.FAILED;
}

/** The exit code for an error that ended a command. */
export function exitCodeForError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.ERROR;
  if (err instanceof ApiRequestError) return EXIT.ERROR;
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof RequestAborted) return EXIT.INTERRUPTED;
  return EXIT.ERROR;
}
