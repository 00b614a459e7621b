import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** WORKER_MAX_CACHED_WORKFLOWS when unset: also what a worker built without the environment gets. */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 100;
/** WORKER_MAX_CONCURRENT_ACTIVITIES / WORKER_DB_POOL_MAX when unset (sizing: docs/SCALING.md). */
export const DEFAULT_MAX_CONCURRENT_ACTIVITIES = 8;
export const DEFAULT_WORKER_DB_POOL_MAX = 10;
/** WORKER_ROLE: `all` polls workflow and activity tasks; the others one kind only. */
export const WORKER_ROLES = ['all', 'workflows', 'activities'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/**
 * Every environment variable the product reads, with its default. `.env.example`, the README and
 * docker-compose.yml list the same names; test/unit/compose.test.ts checks that they agree.
 */
export const EnvSchema = Type.Object({
  DATABASE_URL: Type.String({ default: 'postgres://ua_export:ua_export@127.0.0.1:55432/ua_export', pattern: '^postgres(ql)?://' }),
  TEMPORAL_ADDRESS: Type.String({ default: '127.0.0.1:7233', minLength: 1 }),
  TEMPORAL_NAMESPACE: Type.String({ default: 'default', minLength: 1 }),
  TEMPORAL_UI_URL: Type.String({ default: 'http://127.0.0.1:8233', pattern: '^https?://' }),
  TEMPORAL_TASK_QUEUE: Type.String({ default: 'ua-export', minLength: 1 }),
  // A workflow bundle built with the deployment (npm run build:workflows; the Docker image has one).
  // Unset: the worker bundles at start, in a short-lived child process.
  WORKFLOW_BUNDLE_PATH: Type.Optional(Type.String({ minLength: 1 })),
  ENCRYPTION_KEY: Type.Optional(Type.String({ minLength: 1 })),
  ENCRYPTION_KEYS_PREVIOUS: Type.String({ default: '' }),
  LOCAL_S3_ENDPOINT: Type.String({ default: 'http://127.0.0.1:8333', pattern: '^https?://' }),
  LOCAL_S3_ACCESS_KEY_ID: Type.String({ default: 'ua-export-local', minLength: 1 }),
  LOCAL_S3_SECRET_ACCESS_KEY: Type.String({ default: 'ua-export-local-secret', minLength: 1 }),
  LOCAL_S3_BUCKET: Type.String({ default: 'ua-export-demo', minLength: 3 }),
  // A second local identity that may only read and list: tests use it to provoke AccessDenied.
  LOCAL_S3_READONLY_ACCESS_KEY_ID: Type.String({ default: 'ua-export-readonly', minLength: 1 }),
  LOCAL_S3_READONLY_SECRET_ACCESS_KEY: Type.String({ default: 'ua-export-readonly-secret', minLength: 1 }),
  PART_SIZE_MIB: Type.Integer({ default: 16, minimum: 5, maximum: 5120 }),
  // How each multipart part proves its bytes (src/s3/part-checksum.ts): 'auto' sends the cheapest
  // checksum a probe saw the bucket's provider refuse a wrong one of (CRC32 over TLS or loopback, else
  // SHA-256), Content-MD5 to the rest; 'sha256' never CRC32; 'md5' always MD5.
  PART_CHECKSUM: Type.Union([Type.Literal('auto'), Type.Literal('sha256'), Type.Literal('md5')], { default: 'auto' }),
  // Parts of one file uploading at once, the next filling in the first buffer to come back
  // (src/export/stream-parts.ts): each holds a part buffer, so memory per running upload is
  // this × PART_SIZE_MIB.
  UPLOAD_PARTS_IN_FLIGHT: Type.Integer({ default: 2, minimum: 1, maximum: 16 }),
  // Part buffers for the whole worker process (src/export/part-budget.ts): files wait for theirs
  // rather than allocate past it. Unset: as many PART_SIZE_MIB parts as fit in 48 MiB, at least 2.
  WORKER_PART_BUFFERS: Type.Optional(Type.Integer({ minimum: 2, maximum: 100000 })),
  API_HOST: Type.String({ default: '127.0.0.1' }),
  API_PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  API_TOKENS: Type.String({ default: '' }),
  API_BODY_LIMIT_BYTES: Type.Integer({ default: 65536, minimum: 1024, maximum: 10485760 }),
  BACKFILL_MAX_DAYS: Type.Integer({ default: 731, minimum: 1, maximum: 36600 }),
  BACKFILL_DEFAULT_CONCURRENCY: Type.Integer({ default: 4, minimum: 1, maximum: 256 }),
  BACKFILL_MAX_CONCURRENCY: Type.Integer({ default: 16, minimum: 1, maximum: 256 }),
  // Customer storage endpoints: both default to true outside production (the local SeaweedFS is plain
  // http on loopback), false in production. Link-local and cloud-metadata addresses are always refused.
  ALLOW_PLAIN_HTTP_ENDPOINTS: Type.Boolean(),
  ALLOW_PRIVATE_ENDPOINTS: Type.Boolean(),
  // Worker's Prometheus endpoint (product metrics + Temporal SDK runtime metrics); 0 turns it off.
  WORKER_METRICS_HOST: Type.String({ default: '127.0.0.1' }),
  WORKER_METRICS_PORT: Type.Integer({ default: 9464, minimum: 0, maximum: 65535 }),
  // Workflow executions the worker keeps in memory between tasks (src/worker/worker.ts); 0 turns the cache off.
  WORKER_MAX_CACHED_WORKFLOWS: Type.Integer({ default: DEFAULT_MAX_CACHED_WORKFLOWS, minimum: 0, maximum: 100000 }),
  // --- the source's protection (issue 11): how many exports one worker runs, and its Postgres pool ---
  // Activities one worker runs at once; each export reads Postgres through at most one COPY, so this
  // bounds the COPYs a worker opens. Work past the bound waits in Temporal as scheduled activities.
  WORKER_MAX_CONCURRENT_ACTIVITIES: Type.Integer({ default: DEFAULT_MAX_CONCURRENT_ACTIVITIES, minimum: 1, maximum: 1000 }),
  // Postgres connections one worker opens at most: every running activity's COPY plus the ledger's
  // short writes. Must exceed WORKER_MAX_CONCURRENT_ACTIVITIES, so a ledger write never waits on a COPY.
  WORKER_DB_POOL_MAX: Type.Integer({ default: DEFAULT_WORKER_DB_POOL_MAX, minimum: 2, maximum: 1000 }),
  // Where the Temporal SDK's own Prometheus exporter listens (scraped through WORKER_METRICS_PORT).
  TEMPORAL_SDK_METRICS_ADDRESS: Type.String({ default: '127.0.0.1:9465' }),
  // What this worker process polls for: both kinds of task (one process, the default), or only one of
  // them, so a deployment can run export-running pods apart from the light workflow pods and size
  // each on its own (docs/SCALING.md, "Workflow and activity workers apart").
  WORKER_ROLE: Type.Union(
    WORKER_ROLES.map((r) => Type.Literal(r)),
    { default: 'all' },
  ),
  // How often a worker that runs workflows records schedule pauses made outside ua-export (the Temporal
  // UI or CLI), so the repair of lost starts leaves the days they skipped alone (src/ops/pause-sweep.ts).
  // 0 turns the sweep off.
  SCHEDULE_PAUSE_SWEEP_SECONDS: Type.Integer({ default: 60, minimum: 0, maximum: 86400 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

export type Env = Static<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: { field: string; rule: string }[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.field} ${p.rule}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** A choice of literals says which values it takes; TypeBox's own message only says "union". */
function ruleOf(schema: unknown, value: unknown, message: string): string {
  const choices = (schema as { anyOf?: { const?: unknown }[] }).anyOf?.map((s) => s.const);
  if (!choices?.length || choices.some((c) => typeof c !== 'string')) return message;
  return `must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`;
}

/** Reads and validates the environment; a bad value fails start-up naming the variable and the rule. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const known = Object.keys(EnvSchema.properties) as (keyof typeof EnvSchema.properties)[];
  const picked: Record<string, unknown> = {};
  const problems: { field: string; rule: string }[] = [];
  for (const name of known) {
    const v = source[name];
    if (v === undefined || v === '') continue;
    // Convert would quietly turn "16.5" or "0x10" into 16: integers must be written as plain digits.
    if (EnvSchema.properties[name].type === 'integer' && !/^\d+$/.test(v.trim())) {
      problems.push({ field: name, rule: `must be a whole number written in digits, got ${JSON.stringify(v)}` });
      continue;
    }
    picked[name] = v;
  }
  const dev = source.NODE_ENV !== 'production';
  picked.ALLOW_PLAIN_HTTP_ENDPOINTS ??= dev;
  picked.ALLOW_PRIVATE_ENDPOINTS ??= dev;
  const withDefaults = Value.Default(EnvSchema, Value.Convert(EnvSchema, picked));
  for (const e of Value.Errors(EnvSchema, withDefaults)) problems.push({ field: e.path.replace(/^\//, ''), rule: ruleOf(e.schema, e.value, e.message) });
  if (problems.length === 0) {
    const env = withDefaults as Env;
    if (env.WORKER_DB_POOL_MAX <= env.WORKER_MAX_CONCURRENT_ACTIVITIES)
      problems.push({
        field: 'WORKER_DB_POOL_MAX',
        rule: `must be greater than WORKER_MAX_CONCURRENT_ACTIVITIES (${env.WORKER_MAX_CONCURRENT_ACTIVITIES}), so the ledger's writes never wait behind the exports' COPYs`,
      });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return withDefaults as Env;
}

export function partSizeBytes(env: Pick<Env, 'PART_SIZE_MIB'>): number {
  return env.PART_SIZE_MIB * 1024 * 1024;
}
