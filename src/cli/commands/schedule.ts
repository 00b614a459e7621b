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

  for (const verb of ['pause', 'resume'] as const) {
    schedule
      .command(verb)
      .description(verb === 'pause' ? 'Pause the daily schedule (runs already started go on; missed days catch up on resume)' : 'Resume the daily schedule')
      .argument('<integrationId>', 'integration id')
      .option('--note <text>', 'why (shown with the schedule in the Temporal UI)')
      .addOption(ctx.jsonOption())
      .overview({ options: ['--note'] })
      .action(
        ctx.fetchAndRender(
          (client, [integrationId]: [string], opts: { note?: string; json?: boolean }) =>
            verb === 'pause' ? client.pauseSchedule(integrationId, opts.note) : client.resumeSchedule(integrationId, opts.note),
          (s) => `Schedule ${verb === 'pause' ? 'paused' : 'resumed'}.\n${renderSchedule(s)}`,
        ),
      );
  }

  schedule
    .command('trigger')
    .description('Export the previous UTC day now')
    .argument('<integrationId>', 'integration id')
    .addOption(ctx.jsonOption())
    .action(ctx.fetchAndRender((client, [integrationId]: [string]) => client.triggerSchedule(integrationId), renderTrigger));
};
