import { CommanderError, type Command } from 'commander';
import { ApiRequestError, CliError, formatApiError } from './client.js';
import { registerBackfill } from './commands/backfill.js';
import { registerEventTypes } from './commands/event-types.js';
import { registerExports } from './commands/exports.js';
import { registerIntegrations } from './commands/integrations.js';
import { registerSchedule } from './commands/schedule.js';
import { createContext, packageVersion, type CliIo, type CommandGroup, type State } from './context.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import { CliCommand, rootHelpText } from './help.js';

/**
 * The `ua-export` command: commander over the HTTP API. `runCli` takes its arguments and its whole
 * world (streams, environment, fetch, clock, Ctrl-C) as parameters and returns the exit code, so it
 * runs the same in `bin/ua-export.js` and in unit tests. Each command group lives in
 * src/cli/commands/; the root help's command overview is generated from the registered commands.
 */

export type { CliIo, OutStream } from './context.js';

/** The command groups, in the order they appear in --help. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [registerIntegrations, registerEventTypes, registerBackfill, registerSchedule, registerExports];

export function buildProgram(io: CliIo, state: State, groups: readonly CommandGroup[] = COMMAND_GROUPS): Command {
  const program = new CliCommand();
  program
    .name('ua-export')
    .description('Manage ua-export over its HTTP API: integrations, backfills, schedules and the export ledger.')
    .version(packageVersion(), '-V, --version')
    .option('--api-url <url>', 'API base URL (env UA_EXPORT_API_URL, default http://127.0.0.1:3000)')
    .option('--token <token>', 'API bearer token (env UA_EXPORT_TOKEN, else the first of API_TOKENS)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      getOutHelpWidth: () => (io.stdout.isTTY && io.stdout.columns) || 80,
      getErrHelpWidth: () => (io.stderr.isTTY && io.stderr.columns) || 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', () => rootHelpText(program));

  const ctx = createContext(io, state);
  for (const register of groups) register(program, ctx);
  return program;
}

/** Runs `ua-export` with `argv` (without node and the script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo, groups: readonly CommandGroup[] = COMMAND_GROUPS): Promise<number> {
  const state: State = { json: false, exitCode: EXIT.OK };
  const program = buildProgram(io, state, groups);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (e) {
    return reportError(e, io, state);
  }
}

function reportError(e: unknown, io: CliIo, state: State): number {
  const err = (text: string) => io.stderr.write(`${text}\n`);
  if (e instanceof CommanderError) {
    // Commander printed the message (or the help) already.
    return exitCodeForError(e);
  }
  if (e instanceof ApiRequestError) {
    if (state.json) io.stdout.write(`${JSON.stringify(e.raw, null, 2)}\n`);
    for (const line of formatApiError(e)) err(line);
    return exitCodeForError(e);
  }
  if (e instanceof CliError) {
    err(`error: ${e.message}`);
    return exitCodeForError(e);
  }
  err(`error: ${e instanceof Error ? e.message : String(e)}`);
  if (io.env.UA_EXPORT_DEBUG && e instanceof Error && e.stack) err(e.stack);
  return EXIT.ERROR;
}
