import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ApiClient } from './client.js';
import { resolveConnection, type SecretInput } from './config.js';
import { EXIT } from './exit-codes.js';
import type { CliCommand } from './help.js';

/**
 * What every command group gets to register its commands: the process's world (`CliIo`), output
 * helpers, the API client for a command line, and `fetchAndRender`, the one shape of a simple
 * command — one request, then `--json` prints the API's JSON and otherwise the human view.
 */

export type OutStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin: SecretInput['readable'];
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => Date;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Registers a Ctrl-C handler for the duration of a watch; returns the unregister function. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Progress display for --watch; `auto` = bar when stderr is a terminal, lines otherwise. */
  progress?: 'auto' | 'bar' | 'lines';
}

/** What one run of the CLI records for `runCli`: whether --json was given (for error output) and the exit code. */
export interface State {
  json: boolean;
  exitCode: number;
}

/** The options every command has: `--json`. */
export interface JsonOpts {
  json?: boolean;
}

/** A commander action handler. */
export type ActionHandler = (...args: unknown[]) => Promise<void>;

export interface CliContext {
  readonly io: CliIo;
  /** Writes to stdout, adding a final newline when the text has none. */
  out(text: string): void;
  /** Writes to stderr, adding a final newline when the text has none. */
  err(text: string): void;
  printJson(value: unknown): void;
  now(this: void): Date;
  /** The API client for a command, from the global flags and the environment. */
  clientFor(cmd: Command): ApiClient;
  /** A fresh `--json` option for a command. */
  jsonOption(): Option;
  /** Wraps an action: records --json (for error output) and the exit code it returns (0 when none). */
  action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void>;
  /** Prints `value`: its JSON with --json, otherwise `view(value)`. */
  emit<T>(value: T, json: boolean | undefined, view: (value: T) => string): void;
  /**
   * The action of a simple command: `request` with the command's client, positional arguments and
   * options; then its JSON (--json) or `view` on stdout; the exit code is `exitCode(value)`, else 0.
   * Errors thrown by the request end the command through `runCli` (exit 2, or the CliError's code).
   */
  fetchAndRender<T, A extends string[] = [], O extends JsonOpts = JsonOpts>(
    request: (client: ApiClient, args: A, opts: O) => Promise<T>,
    view: (value: T, args: A, opts: O) => string,
    exitCode?: (value: T) => number,
  ): ActionHandler;
}

/** A command group (src/cli/commands/*): registers its commands on the program. */
export type CommandGroup = (program: CliCommand, ctx: CliContext) => void;

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function createContext(io: CliIo, state: State): CliContext {
  const write = (stream: OutStream, text: string) => stream.write(text.endsWith('\n') ? text : `${text}\n`);
  const out = (text: string) => void write(io.stdout, text);
  const err = (text: string) => void write(io.stderr, text);
  const printJson = (value: unknown) => out(JSON.stringify(value, null, 2));

  const clientFor = (cmd: Command): ApiClient => {
    const g = cmd.optsWithGlobals<{ apiUrl?: string; token?: string }>();
    const c = resolveConnection({ apiUrl: g.apiUrl, token: g.token }, io.env);
    return new ApiClient({ baseUrl: c.apiUrl, token: c.token, ...(io.fetch ? { fetch: io.fetch } : {}), userAgent: `ua-export-cli/${packageVersion()}` });
  };

  const action =
    <A extends unknown[]>(fn: (...args: A) => Promise<number | void>) =>
    async (...args: A) => {
      const cmd = args[args.length - 1] as Command;
      state.json = Boolean(cmd.opts<JsonOpts>().json);
      state.exitCode = (await fn(...args)) ?? EXIT.OK;
    };

  const emit = <T>(value: T, json: boolean | undefined, view: (value: T) => string) => {
    if (json) printJson(value);
    else out(view(value));
  };

  return {
    io,
    out,
    err,
    printJson,
    now: io.now ?? (() => new Date()),
    clientFor,
    jsonOption: () => new Option('--json', "print the API's JSON response on stdout instead of a table"),
    action,
    emit,
    fetchAndRender: <T, A extends string[], O extends JsonOpts>(
      request: (client: ApiClient, args: A, opts: O) => Promise<T>,
      view: (value: T, args: A, opts: O) => string,
      exitCode?: (value: T) => number,
    ): ActionHandler =>
      // commander calls an action with the command's arguments, then its options, then the command.
      action(async (...actionArgs: unknown[]) => {
        const cmd = actionArgs[actionArgs.length - 1] as Command;
        const opts = actionArgs[actionArgs.length - 2] as O;
        const args = actionArgs.slice(0, -2) as A;
        const value = await request(clientFor(cmd), args, opts);
        emit(value, opts.json, (v) => view(v, args, opts));
        return exitCode?.(value);
      }),
  };
}
