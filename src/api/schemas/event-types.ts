import { Type } from '@fastify/type-provider-typebox';

export const EventTypeCatalog = Type.Object({
  groups: Type.Array(Type.Object({ group: Type.String(), label: Type.String(), types: Type.Array(Type.String()) })),
  types: Type.Array(Type.String(), { description: 'Every type, flat' }),
});
