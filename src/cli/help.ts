import { Command, type Argument, type Option } from 'commander';

/**
 * The root help's command overview ("All commands"), generated from commander's command tree: a
 * command registered in any group shows up without editing help text. How a command reads in the
 * overview (which of its options are worth naming there) is said next to its definition, with
 * `.overview({...})`.
 */

export interface OverviewHint {
  /** For a command with subcommands: `inline` lists them on one line (`status | pause <id>`); default one line each. */
  layout?: 'inline' | 'lines';
  /** The options named in the overview, by long flag (`--from`); the rest only in the command's --help. */
  options?: readonly string[];
  /** Name the listed optional options without their value (`[--tables]` instead of `[--tables <list>]`). */
  bare?: boolean;
  /** Stand for the command's options with `…` (too many to list: see its --help). */
  elide?: boolean;
}

/** A commander Command that can say how it reads in the overview; its subcommands are CliCommands too. */
export class CliCommand extends Command {
  overviewHint: OverviewHint = {};

  override createCommand(name?: string): CliCommand {
    return new CliCommand(name);
  }

  overview(hint: OverviewHint): this {
    this.overviewHint = hint;
    return this;
  }
}

const hintOf = (cmd: Command): OverviewHint => (cmd instanceof CliCommand ? cmd.overviewHint : {});

/** The subcommands shown in help, in registration order (commander's implicit `help` command left out). */
function subcommands(cmd: Command): Command[] {
  const visible = new Set(cmd.createHelp().visibleCommands(cmd));
  return cmd.commands.filter((c) => visible.has(c));
}

function argumentTerm(a: Argument): string {
  const name = `${a.name()}${a.variadic ? '...' : ''}`;
  return a.required ? `<${name}>` : `[${name}]`;
}

function optionTerm(o: Option, bare: boolean): string {
  const long = o.long ?? o.flags;
  const withValue = o.long ? o.flags.slice(o.flags.indexOf(o.long)) : o.flags;
  if (o.mandatory) return withValue;
  return `[${bare ? long : withValue}]`;
}

function argumentTerms(cmd: Command): string[] {
  return cmd.registeredArguments.map(argumentTerm);
}

function optionTerms(cmd: Command): string[] {
  const hint = hintOf(cmd);
  const terms = (hint.options ?? []).map((flag) => {
    const o = cmd.options.find((x) => x.long === flag);
    if (!o) throw new Error(`overview of '${cmd.name()}' names ${flag}, which the command does not have`);
    return optionTerm(o, hint.bare ?? false);
  });
  return hint.elide ? [...terms, '…'] : terms;
}

/** `name <args> [options]`, as the command reads in the overview. */
function synopsis(cmd: Command): string {
  return [cmd.name(), ...argumentTerms(cmd), ...optionTerms(cmd)].join(' ');
}

/** One command on one line: `a | b <id>`; when all take the same arguments, they are written once at the end. */
function inline(subs: Command[]): string {
  const args = subs.map((s) => argumentTerms(s).join(' '));
  if (subs.length > 1 && args[0] && args.every((a) => a === args[0])) {
    const options = [...new Set(subs.flatMap(optionTerms))];
    return [subs.map((s) => s.name()).join(' | '), args[0], ...options].join(' ');
  }
  return subs.map(synopsis).join(' | ');
}

function overviewLines(cmd: Command, prefix: string): string[] {
  const subs = subcommands(cmd);
  if (subs.length === 0) return [`${prefix}${synopsis(cmd)}`];
  if (hintOf(cmd).layout === 'inline') return [`${prefix}${cmd.name()} ${inline(subs)}`];
  return subs.flatMap((s) => overviewLines(s, `${prefix}${cmd.name()} `));
}

/** The overview of every command under `program`, one line each (indented by two spaces). */
export function commandOverview(program: Command): string[] {
  return subcommands(program).flatMap((c) => overviewLines(c, '  '));
}

const ROOT_HELP_REST = `
Environment:
  UA_EXPORT_API_URL             API base URL (default http://127.0.0.1:3000); --api-url overrides
  UA_EXPORT_TOKEN               bearer token; --token overrides; falls back to the first of API_TOKENS
  UA_EXPORT_SECRET_ACCESS_KEY   secret for 'integrations create' (or pipe it: --secret-access-key-stdin)

Output:
  Human-readable tables by default; --json prints the API's JSON on stdout. Errors go to stderr,
  one line per problem. --watch shows progress on stderr (a bar on a terminal, one line per change
  in logs and pipes) and ends with a summary on stdout.

Exit codes:
  0  success
  1  the operation ran but failed (failed days, failed or cancelled backfill, failed connection test)
  2  the API refused the request or could not be reached, or the command line is wrong
  130  interrupted (Ctrl-C while watching; the backfill keeps running)

Examples:
  export UA_EXPORT_API_URL=http://127.0.0.1:3000 UA_EXPORT_TOKEN=…
  ua-export integrations list
  printf %s "$SECRET" | ua-export integrations create --app-id <uuid> --endpoint-url https://s3.eu-central-1.amazonaws.com \\
      --bucket my-bucket --folder ua --region eu-central-1 --access-key-id AKIA… --secret-access-key-stdin
  ua-export integrations test-connection <id>
  ua-export backfill start <id> --from 2026-05-01 --to 2026-05-31 --watch
  ua-export schedule pause <id> --note "bucket migration"
  ua-export exports <id> --from 2026-05-01 --to 2026-05-31
`;

/** The text after the root --help: the command overview, then environment, output, exit codes and examples. */
export function rootHelpText(program: Command): string {
  return `\nAll commands (each takes --help):\n${commandOverview(program).join('\n')}\n${ROOT_HELP_REST}`;
}
