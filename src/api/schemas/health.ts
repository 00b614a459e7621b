import { Type } from '@fastify/type-provider-typebox';
import { Nullable } from './common.js';

export const Health = Type.Object({ status: Type.Literal('ok') });

const Check = Type.Object({ ok: Type.Boolean(), latencyMs: Type.Integer(), error: Nullable(Type.String()) });

export const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Object({ postgres: Check, temporal: Check }),
});
