import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';

// Worker.create is replaced so the options createExportWorker builds can be read; nothing connects.
const create = vi.fn((_opts: WorkerOptions) => Promise.resolve({}));
vi.mock('@temporalio/worker', async (importOriginal) => {
  const real = await importOriginal<typeof import('@temporalio/worker')>();
  return { ...real, Worker: { create } };
});

const { loadEnv } = await import('../../src/config/env.js');
const { createExportWorker } = await import('../../src/worker/worker.js');
const { buildKeyring } = await import('../../src/crypto/secrets.js');

async function optionsFor(env: NodeJS.ProcessEnv, passEnv = true): Promise<WorkerOptions> {
  create.mockClear();
  const loaded = loadEnv(env);
  await createExportWorker({
    connection: {} as NativeConnection,
    namespace: 'default',
    taskQueue: 'q',
    pool: {} as never,
    keyring: buildKeyring(Buffer.alloc(32, 7).toString('base64'), ''),
    partSize: 5 * 2 ** 20,
    workflowBundlePath: '/nonexistent/bundle.js',
    ...(passEnv ? { maxCachedWorkflows: loaded.WORKER_MAX_CACHED_WORKFLOWS, role: loaded.WORKER_ROLE } : {}),
  });
  expect(create).toHaveBeenCalledTimes(1);
  return create.mock.calls[0]![0];
}

describe('createExportWorker: the workflow cache', () => {
  beforeEach(() => create.mockClear());

  it('passes WORKER_MAX_CACHED_WORKFLOWS to Worker.create', async () => {
    const opts = await optionsFor({ WORKER_MAX_CACHED_WORKFLOWS: '37' });
    expect(opts.maxCachedWorkflows).toBe(37);
    // The SDK refuses more concurrent workflow tasks than cached executions.
    expect(opts.maxConcurrentWorkflowTaskExecutions).toBe(37);
  });

  it('is bounded by default, not sized by the SDK from the heap limit', async () => {
    const fromEnv = await optionsFor({});
    expect(fromEnv.maxCachedWorkflows).toBe(100);
    expect(fromEnv.maxConcurrentWorkflowTaskExecutions).toBe(40);
    // Callers that build a worker without the environment (tests, npm start) get the same bound.
    const withoutEnv = await optionsFor({}, false);
    expect(withoutEnv.maxCachedWorkflows).toBe(100);
  });

  it('turns the cache off with 0 and leaves the task concurrency to the SDK', async () => {
    const opts = await optionsFor({ WORKER_MAX_CACHED_WORKFLOWS: '0' });
    expect(opts.maxCachedWorkflows).toBe(0);
    expect(opts).not.toHaveProperty('maxConcurrentWorkflowTaskExecutions');
  });

  it('refuses a value that is not a whole number', () => {
    expect(() => loadEnv({ WORKER_MAX_CACHED_WORKFLOWS: 'lots' })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
  });
});

describe('createExportWorker: WORKER_ROLE', () => {
  beforeEach(() => create.mockClear());

  it('polls both kinds of task by default', async () => {
    const opts = await optionsFor({});
    expect(opts.workflowBundle).toEqual({ codePath: '/nonexistent/bundle.js' });
    expect(Object.keys(opts.activities ?? {})).toContain('uploadParts');
    expect(opts).not.toHaveProperty('enableNonLocalActivities');
  });

  it('activities: registers no workflow code, so no workflow thread starts', async () => {
    const opts = await optionsFor({ WORKER_ROLE: 'activities' });
    expect(opts).not.toHaveProperty('workflowBundle');
    expect(opts).not.toHaveProperty('workflowsPath');
    expect(Object.keys(opts.activities ?? {})).toContain('uploadParts');
    expect(opts).not.toHaveProperty('enableNonLocalActivities');
  });

  it('workflows: keeps the activities for its local ones but polls for no activity task, not even eagerly', async () => {
    const opts = await optionsFor({ WORKER_ROLE: 'workflows' });
    expect(opts.workflowBundle).toEqual({ codePath: '/nonexistent/bundle.js' });
    expect(Object.keys(opts.activities ?? {})).toContain('planExport');
    expect(opts.enableNonLocalActivities).toBe(false);
    expect(opts.maxEagerActivityReservationsPerWorkflowTask).toBe(0);
  });

  it('refuses any other value, naming the variable and the values it takes', () => {
    expect(() => loadEnv({ WORKER_ROLE: 'both' })).toThrow('WORKER_ROLE must be one of all, workflows, activities, got "both"');
  });
});
