import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ApiRequestError, CliError, RequestAborted } from '../../src/cli/client.js';
import { backfillExitCode, EXIT, exitCodeForError, testConnectionExitCode } from '../../src/cli/exit-codes.js';

describe('exit codes', () => {
  it('is 0 only for a backfill that completed with no failed day', () => {
    expect(backfillExitCode({ status: 'completed', failedDays: [] })).toBe(EXIT.OK);
    expect(backfillExitCode({ status: 'completed_with_failures', failedDays: [{ day: '2026-05-10', error: 'x' }] })).toBe(EXIT.FAILED);
    // Belt and braces: failed days fail the run whatever the status says.
    expect(backfillExitCode({ status: 'completed', failedDays: [{ day: '2026-05-10', error: 'x' }] })).toBe(EXIT.FAILED);
    expect(backfillExitCode({ status: 'failed', failedDays: [] })).toBe(EXIT.FAILED);
    expect(backfillExitCode({ status: 'cancelled', failedDays: [] })).toBe(EXIT.FAILED);
  });

  it('is 1 for a failed connection test', () => {
    expect(testConnectionExitCode({ ok: true })).toBe(0);
    expect(testConnectionExitCode({ ok: false })).toBe(1);
  });

  it('is 2 for API errors, unreachable APIs and usage errors; 0 for --help; 130 for an interrupt', () => {
    expect(exitCodeForError(new ApiRequestError(400, { error: 'validation_failed', message: 'm', details: [] }, {}, 'POST', '/'))).toBe(2);
    expect(exitCodeForError(new ApiRequestError(503, { error: 'temporal_unavailable', message: 'm', details: [] }, {}, 'GET', '/'))).toBe(2);
    expect(exitCodeForError(new CliError('cannot reach', 2, true))).toBe(2);
    expect(exitCodeForError(new CommanderError(1, 'commander.unknownOption', 'unknown option'))).toBe(2);
    expect(exitCodeForError(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(0);
    expect(exitCodeForError(new RequestAborted('x'))).toBe(130);
    expect(exitCodeForError(new Error('bug'))).toBe(2);
  });
});
