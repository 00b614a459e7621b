import { Option } from 'commander';
import { TABLES } from '../../export/tables.js';
import type { CommandGroup } from '../context.js';
import { exportsQuery } from '../requests.js';
import { renderLedger } from '../views.js';

/** `ua-export exports`: the export ledger of an integration. */
export const registerExports: CommandGroup = (program, ctx) => {
  program
    .command('exports')
    .description('The export ledger: per day and table, status, rows and bytes; days never exported show as missing')
    .argument('<integrationId>', 'integration id')
    .option('--from <day>', 'first day (default: 30 days before --to)')
    .option('--to <day>', 'last day, inclusive (default: yesterday, UTC)')
    .addOption(new Option('--table <name>', 'one table only (default both)').choices(TABLES))
    .addOption(ctx.jsonOption())
    .overview({ options: ['--from', '--to', '--table'] })
    .action(
      ctx.fetchAndRender(
        (client, [integrationId]: [string], opts: { from?: string; to?: string; table?: string; json?: boolean }) =>
          client.exports(integrationId, exportsQuery(opts)),
        renderLedger,
      ),
    );
};
