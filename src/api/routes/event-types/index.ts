import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EVENT_TYPE_GROUPS, EVENT_TYPES } from '../../../export/event-types.js';
import { errors, security } from '../../schemas/common.js';
import { EventTypeCatalog } from '../../schemas/event-types.js';

const eventTypes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags: ['event-types'],
        security,
        summary: 'The catalog of exportable event types, grouped',
        description: "Valid values for an integration's `settings.eventTypes`.",
        response: { 200: EventTypeCatalog, ...errors() },
      },
    },
    async () => ({
      groups: EVENT_TYPE_GROUPS.map((g) => ({ group: g.group, label: g.label, types: [...g.types] })),
      types: [...EVENT_TYPES],
    }),
  );
};

export default eventTypes;
