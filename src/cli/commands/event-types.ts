import type { CommandGroup } from '../context.js';
import { renderEventTypes } from '../views.js';

/** `ua-export event-types`: the values `integrations create --event-types` takes. */
export const registerEventTypes: CommandGroup = (program, ctx) => {
  program
    .command('event-types')
    .description('The exportable event types, for --event-types')
    .addOption(ctx.jsonOption())
    .action(ctx.fetchAndRender((client) => client.eventTypes(), renderEventTypes));
};
