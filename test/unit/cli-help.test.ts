import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { sink } from '../helpers/cli-fixtures.js';
import type { CliIo, CommandGroup } from '../../src/cli/context.js';
import { CliCommand, commandOverview } from '../../src/cli/help.js';
import { buildProgram, COMMAND_GROUPS, runCli } from '../../src/cli/program.js';

/** The root help's "All commands" overview, generated from commander's command tree. */

function io(): CliIo & { stdout: ReturnType<typeof sink>; stderr: ReturnType<typeof sink> } {
  return { stdout: sink(), stderr: sink(), stdin: new PassThrough(), env: { UA_EXPORT_TOKEN: 'tok' }, fetch: async () => new Response('{}') };
}

/** The "All commands" lines of `ua-export --help` run with these command groups. */
async function overviewInHelp(groups: readonly CommandGroup[] = COMMAND_GROUPS): Promise<string[]> {
  const x = io();
  expect(await runCli(['--help'], x, groups)).toBe(0);
  const text = x.stdout.text();
  const start = text.indexOf('All commands (each takes --help):\n');
  expect(start).toBeGreaterThan(-1);
  return text.slice(start).split('\n\n')[0]!.split('\n').slice(1);
}

/** Every command that does something, by its path: ['backfill', 'start']. */
function leaves(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  if (cmd.commands.length === 0) return [{ path, cmd }];
  return cmd.commands.flatMap((c) => leaves(c, [...path, c.name()]));
}

describe('the command overview of ua-export --help', () => {
  it('reads as it did when it was written by hand', async () => {
    expect(await overviewInHelp()).toEqual([
      '  integrations list | show <id> | create … | set-format <id> | test-connection <id> | enable <id> | disable <id> | operations <id> … | alerts-test <id>',
      '  event-types',
      '  backfill start <integrationId> --from <day> --to <day> [--tables] [--concurrency] [--watch]',
      '  backfill status <integrationId> <backfillId> [--watch]',
      '  backfill list <integrationId>',
      '  backfill cancel <integrationId> <backfillId>',
      '  backfill pause <integrationId> <backfillId>',
      '  backfill resume <integrationId> <backfillId>',
      '  schedule status | pause | resume | trigger <integrationId> [--note <text>] [--catch-up]',
      '  exports <integrationId> [--from <day>] [--to <day>] [--table <name>]',
    ]);
  });

  it('names every registered command with its arguments', async () => {
    const lines = await overviewInHelp();
    const program = buildProgram(io(), { json: false, exitCode: 0 });
    const all = leaves(program);
    expect(all.length).toBeGreaterThanOrEqual(15);
    for (const { path, cmd } of all) {
      const [top, ...rest] = path;
      const needed = [...rest, ...cmd.registeredArguments.map((a) => `<${a.name()}>`)];
      const line = lines.find((l) => {
        const words = l.trim().split(/ +/);
        return words[0] === top && needed.every((w) => words.includes(w));
      });
      expect(line, `${path.join(' ')} in\n${lines.join('\n')}`).toBeDefined();
    }
  });

  it('shows a command added to an existing group, without editing any help text', async () => {
    const addToGroups: CommandGroup = (program) => {
      const group = (name: string) => program.commands.find((c) => c.name() === name) as CliCommand;
      group('backfill')
        .command('retry')
        .argument('<integrationId>')
        .argument('<backfillId>')
        .option('--days <list>')
        .overview({ options: ['--days'] });
      group('schedule')
        .command('skip')
        .argument('<integrationId>')
        .option('--day <day>')
        .overview({ options: ['--day'] });
      group('integrations')
        .command('rotate-key')
        .argument('<id>')
        .requiredOption('--access-key-id <id>')
        .overview({ options: ['--access-key-id'] });
    };
    const lines = await overviewInHelp([...COMMAND_GROUPS, addToGroups]);
    expect(lines).toContain('  backfill retry <integrationId> <backfillId> [--days <list>]');
    expect(lines.indexOf('  backfill retry <integrationId> <backfillId> [--days <list>]')).toBe(
      lines.indexOf('  backfill resume <integrationId> <backfillId>') + 1,
    );
    expect(lines).toContain('  schedule status | pause | resume | trigger | skip <integrationId> [--note <text>] [--catch-up] [--day <day>]');
    expect(lines).toContain(
      '  integrations list | show <id> | create … | set-format <id> | test-connection <id> | enable <id> | disable <id> | operations <id> … | alerts-test <id> | rotate-key <id> --access-key-id <id>',
    );
  });

  it('shows a new command group, and leaves out hidden commands and the implicit help command', async () => {
    const widgets: CommandGroup = (program) => {
      const w = program.command('widgets').description('widgets');
      w.command('list');
      w.command('show').argument('<id>').argument('[field]');
      w.command('tag').argument('<id>').argument('<tags...>');
      program.command('secret-thing', { hidden: true });
    };
    const lines = await overviewInHelp([...COMMAND_GROUPS, widgets]);
    expect(lines.slice(-3)).toEqual(['  widgets list', '  widgets show <id> [field]', '  widgets tag <id> <tags...>']);
    expect(lines.join('\n')).not.toContain('secret-thing');
    expect(lines.join('\n')).not.toMatch(/^ {2}help\b/m);
  });

  it('fails loudly when a command names an option it does not have', () => {
    const program = new CliCommand('p');
    program
      .command('x')
      .option('--from <day>')
      .overview({ options: ['--form'] });
    expect(() => commandOverview(program)).toThrow(/'x' names --form/);
  });
});

describe('commandOverview', () => {
  it('renders options: required with their value, optional in brackets, bare without the value, elided as …', () => {
    const program = new CliCommand('p');
    program
      .command('a')
      .argument('<id>')
      .requiredOption('--from <day>')
      .option('--to <day>')
      .option('--watch')
      .option('--quiet')
      .overview({ options: ['--from', '--to', '--watch'] });
    program
      .command('b')
      .option('-t, --tables <list>')
      .option('--watch')
      .overview({ options: ['--tables', '--watch'], bare: true });
    program.command('c').requiredOption('--bucket <name>').option('--region <r>').overview({ elide: true });
    program.command('d').option('--ignored');
    expect(commandOverview(program)).toEqual(['  a <id> --from <day> [--to <day>] [--watch]', '  b [--tables] [--watch]', '  c …', '  d']);
  });

  it('inline groups write shared arguments once, after the subcommand names', () => {
    const program = new CliCommand('p');
    const same = program.command('same').overview({ layout: 'inline' });
    same.command('x').argument('<id>');
    same
      .command('y')
      .argument('<id>')
      .option('--n <v>')
      .overview({ options: ['--n'] });
    same
      .command('z')
      .argument('<id>')
      .option('--n <v>')
      .overview({ options: ['--n'] });
    const mixed = program.command('mixed').overview({ layout: 'inline' });
    mixed.command('x');
    mixed.command('y').argument('<id>');
    const one = program.command('one').overview({ layout: 'inline' });
    one.command('x').argument('<id>');
    expect(commandOverview(program)).toEqual(['  same x | y | z <id> [--n <v>]', '  mixed x | y <id>', '  one x <id>']);
  });

  it('nested groups get a line per command, prefixed with their path', () => {
    const program = new CliCommand('p');
    const outer = program.command('outer');
    const inner = outer.command('inner');
    inner.command('leaf').argument('<id>');
    outer.command('other');
    expect(commandOverview(program)).toEqual(['  outer inner leaf <id>', '  outer other']);
  });
});
