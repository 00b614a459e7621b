import type { CommandGroup } from '../context.js';
import { renderSchedule, renderTrigger } from '../views.js';

/** `ua-export schedule status | pause | resume | trigger`: an integration's daily schedule. */
export const registerSchedule: CommandGroup = (program, ctx) => {
  const schedule = program
    .command('schedule')
    .description("An integration's daily schedule (04:00 UTC, exports the previous day)")
    .overview({ layout: 'inline' });

  schedule
    .command('status')
    .description('Paused or active, its note, next and recent runs')
    .argument('<integrationId>', 'integration id')
    .addOption(ctx.jsonOption())
    .action(ctx.fetchAndRender((client, [integrationId]: [string]) => client.getSchedule(integrationId), renderSchedule));

  schedule
    .command('pause')
    .description('Pause the daily schedule (runs already started go on; resume --catch-up backfills the missed days)')
    .argument('<integrationId>', 'integration id')
    .option('--note <text>', 'why (shown with the schedule in the Temporal UI)')
    .addOption(ctx.jsonOption())
    .overview({ options: ['--note'] })
    .action(
      ctx.fetchAndRender(
        (client, [integrationId]: [string], opts: { note?: string; json?: boolean }) => client.pauseSchedule(integrationId, opts.note),
        (s) => `Schedule paused.\n${renderSchedule(s)}`,
      ),
    );

  // Issue 12: --catch-up backfills every day missed while paused or failing.
  schedule
    .command('resume')
    .description('Resume the daily schedule (also after an auto-pause)')
    .argument('<integrationId>', 'integration id')
    .option('--note <text>', 'why (shown with the schedule in the Temporal UI)')
    .option('--catch-up', 'also start one backfill of every day missed while paused or failing')
    .addOption(ctx.jsonOption())
    .overview({ options: ['--note', '--catch-up'] })
    .action(
      ctx.fetchAndRender(
        (client, [integrationId]: [string], opts: { note?: string; catchUp?: boolean; json?: boolean }) =>
          client.resumeSchedule(integrationId, opts.note, opts.catchUp === true),
        (s) =>
          `Schedule resumed.\n${renderSchedule(s)}` +
          (s.catchUp
            ? `\n\nCatch-up backfill ${s.catchUp.backfillId}: ${s.catchUp.from} → ${s.catchUp.to} (missed: ${s.catchUp.missedDays.join(', ')})\n  temporal ui  ${s.catchUp.uiUrl}`
            : ''),
      ),
    );

  schedule
    .command('trigger')
    .description('Export the previous UTC day now')
    .argument('<integrationId>', 'integration id')
    .addOption(ctx.jsonOption())
    .action(ctx.fetchAndRender((client, [integrationId]: [string]) => client.triggerSchedule(integrationId), renderTrigger));
};
