import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../src/worker/worker.js';

/**
 * Histories recorded by earlier releases (test/fixtures/histories: runs against mocked activities, the
 * commit in the name) replay on today's workflow code without a nondeterminism error: a run in flight
 * during an upgrade goes on where it was. Each workflow change guarded by `patched()` keeps one here.
 *
 * Stored as binary protobuf (`History.encode(await handle.fetchHistory())`, the run's workflow id in
 * workflow-ids.json), not the CLI's JSON: with
 * npm's layout here the SDK's JSON reader and its proto types load two copies of protobufjs, and
 * `historyFromJSON` fails with "type must be a Type".
 */
const { History } = proto.temporal.api.history.v1;
const dir = path.resolve(import.meta.dirname, '../fixtures/histories');
const histories = readdirSync(dir).filter((f) => f.endsWith('.binpb'));
// Each run's workflow id: the code derives ids from it (alerts), so replay must run under the same one.
const workflowIds = JSON.parse(readFileSync(path.join(dir, 'workflow-ids.json'), 'utf8')) as Record<string, string>;

describe('recorded histories replay on the current workflow code', () => {
  it('has histories to replay, each with its workflow id', () => {
    expect(histories.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(workflowIds).sort()).toEqual([...histories].sort());
  });
  it.each(histories)(
    '%s',
    async (file) => {
      const history = History.decode(readFileSync(path.join(dir, file)));
      await expect(Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: file }, history, workflowIds[file])).resolves.toBeUndefined();
    },
    60_000,
  );
});
