import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { grpcCodes, isTemporalUnavailable } from '../../src/temporal/errors.js';
import {
  backfillWorkflowId,
  exportWorkflowId,
  integrationIdOfSchedule,
  isBackfillOf,
  parseBackfillWorkflowId,
  scheduledWorkflowIdBase,
  scheduleId,
} from '../../src/temporal/ids.js';
import { scheduleUiUrl, workflowListUiUrl, workflowUiUrl, workflowUiUrlPrefix } from '../../src/temporal/links.js';
import { backfillsQuery, runningWorkflowsQuery } from '../../src/temporal/queries.js';
import { closedBackfillStatus, isRunning, runStatus, statusName } from '../../src/temporal/status.js';

const A = '0d8f5b7e-3c1a-4e2b-9f00-1234567890ab';
const B = '7a6b5c4d-0000-4000-8000-fedcba987654';

describe('workflow and schedule ids', () => {
  it('formats the ids operators type into the UI', () => {
    expect(exportWorkflowId(A, '2026-05-01')).toBe(`ua-export-${A}-2026-05-01`);
    expect(scheduleId(A)).toBe(`ua-daily-${A}`);
    expect(scheduledWorkflowIdBase(A)).toBe(`ua-daily-${A}`);
    expect(backfillWorkflowId(A, '2026-05-01', '2026-05-09', 'all')).toBe(`ua-backfill-${A}-2026-05-01-2026-05-09-all`);
  });

  it('parses a backfill id back into what formatted it', () => {
    for (const tablesKey of ['all', 'ua_events', 'campaign_metrics+ua_events']) {
      const id = backfillWorkflowId(A, '2026-04-30', '2026-05-02', tablesKey);
      expect(parseBackfillWorkflowId(id)).toEqual({ integrationId: A, from: '2026-04-30', to: '2026-05-02', tablesKey });
    }
  });

  it('rejects ids that are not backfill ids of a uuid integration', () => {
    for (const id of [
      exportWorkflowId(A, '2026-05-01'),
      scheduleId(A),
      `${scheduledWorkflowIdBase(A)}-2026-05-02T04:00:00Z`,
      'whatever',
      '',
      `ua-backfill-${A}-2026-05-01-2026-05-09`, // no tables part
      `ua-backfill-${A}-test-can`,
      'ua-backfill-i-2026-05-10-2026-05-12-all', // integration id is not a uuid
      `ua-backfill-${A.toUpperCase()}-2026-05-01-2026-05-09-all`,
      `x-ua-backfill-${A}-2026-05-01-2026-05-09-all`,
    ]) {
      expect(parseBackfillWorkflowId(id), id).toBeNull();
    }
  });

  it('tells whether a backfill id belongs to an integration', () => {
    const id = backfillWorkflowId(A, '2026-05-01', '2026-05-02', 'all');
    expect(isBackfillOf(A, id)).toBe(true);
    expect(isBackfillOf(B, id)).toBe(false);
    expect(isBackfillOf(A, exportWorkflowId(A, '2026-05-01'))).toBe(false);
    expect(isBackfillOf(A, `ua-backfill-${A}`)).toBe(false); // the separator after the id is required
    expect(isBackfillOf(A.slice(0, 10), id)).toBe(false); // a part of the id is not the integration
    expect(isBackfillOf(A, 'whatever')).toBe(false);
  });

  it('parses a schedule id back into its integration, and refuses foreign schedules', () => {
    expect(integrationIdOfSchedule(scheduleId(A))).toBe(A);
    expect(integrationIdOfSchedule(scheduleId('anything-else'))).toBe('anything-else');
    expect(integrationIdOfSchedule('nightly-report')).toBeNull();
    expect(integrationIdOfSchedule(`x${scheduleId(A)}`)).toBeNull();
    expect(integrationIdOfSchedule(exportWorkflowId(A, '2026-05-01'))).toBeNull();
  });
});

describe('execution status mapping', () => {
  // Every WorkflowExecutionStatusName the SDK knows: the `satisfies` fails to compile if one is missing.
  const table = {
    RUNNING: { name: 'running', run: 'running', closed: null },
    CONTINUED_AS_NEW: { name: 'continued_as_new', run: 'running', closed: null },
    COMPLETED: { name: 'completed', run: 'completed', closed: null },
    CANCELLED: { name: 'cancelled', run: 'cancelled', closed: 'cancelled' },
    FAILED: { name: 'failed', run: 'failed', closed: 'failed' },
    TERMINATED: { name: 'terminated', run: 'failed', closed: 'failed' },
    TIMED_OUT: { name: 'timed_out', run: 'failed', closed: 'failed' },
    PAUSED: { name: 'paused', run: 'paused', closed: null },
    UNSPECIFIED: { name: 'unspecified', run: 'unspecified', closed: null },
    UNKNOWN: { name: 'unknown', run: 'unknown', closed: null },
  } as const satisfies Record<WorkflowExecutionStatusName, { name: string; run: string; closed: 'failed' | 'cancelled' | null }>;

  for (const [status, want] of Object.entries(table)) {
    it(`${status} → ${want.name} / ${want.run} / ${want.closed}`, () => {
      expect(statusName(status)).toBe(want.name);
      expect(runStatus(status)).toBe(want.run);
      expect(closedBackfillStatus(status)).toBe(want.closed);
      expect(isRunning(status)).toBe(status === 'RUNNING');
    });
  }

  it('an absent status is unknown and says nothing about a backfill', () => {
    expect(statusName(undefined)).toBe('unknown');
    expect(runStatus(undefined)).toBe('unknown');
    expect(closedBackfillStatus(undefined)).toBeNull();
    expect(isRunning(undefined)).toBe(false);
  });
});

describe('Temporal UI links', () => {
  it('builds workflow and run links, ignoring a trailing slash on the base', () => {
    for (const base of ['http://ui.test:8233', 'http://ui.test:8233/']) {
      expect(workflowUiUrl(base, 'default', 'ua-export-x-2026-05-01')).toBe('http://ui.test:8233/namespaces/default/workflows/ua-export-x-2026-05-01');
      expect(workflowUiUrl(base, 'default', 'wf', 'run-1')).toBe('http://ui.test:8233/namespaces/default/workflows/wf/run-1');
      expect(scheduleUiUrl(base, 'default', 'ua-daily-x')).toBe('http://ui.test:8233/namespaces/default/schedules/ua-daily-x');
      expect(workflowListUiUrl(base, 'default')).toBe('http://ui.test:8233/namespaces/default/workflows');
      expect(workflowUiUrlPrefix(base, 'default')).toBe('http://ui.test:8233/namespaces/default/workflows/');
    }
  });

  it('escapes namespace, workflow id, run id, schedule id and query', () => {
    const ns = 'team a/b';
    expect(workflowUiUrl('http://ui', ns, 'ua-daily-x-2026-05-02T04:00:00Z', 'r/1?x')).toBe(
      'http://ui/namespaces/team%20a%2Fb/workflows/ua-daily-x-2026-05-02T04%3A00%3A00Z/r%2F1%3Fx',
    );
    expect(workflowUiUrl('http://ui', 'default', '../../settings#frag')).toBe('http://ui/namespaces/default/workflows/..%2F..%2Fsettings%23frag');
    expect(scheduleUiUrl('http://ui', ns, 'a b/c')).toBe('http://ui/namespaces/team%20a%2Fb/schedules/a%20b%2Fc');
    expect(workflowUiUrlPrefix('http://ui', ns)).toBe('http://ui/namespaces/team%20a%2Fb/workflows/');
    expect(workflowListUiUrl('http://ui', 'default', "UaIntegrationId = 'x' AND UaRunKind = 'backfill'")).toBe(
      "http://ui/namespaces/default/workflows?query=UaIntegrationId%20%3D%20'x'%20AND%20UaRunKind%20%3D%20'backfill'",
    );
  });

  it('the calendar prefix plus an encoded id is the workflow link', () => {
    const id = 'ua-export-x-2026-05-01';
    expect(`${workflowUiUrlPrefix('http://ui/', 'ns')}${encodeURIComponent(id)}`).toBe(workflowUiUrl('http://ui/', 'ns', id));
  });
});

describe('visibility queries', () => {
  it('select the integration by its search attribute', () => {
    expect(backfillsQuery(A)).toBe(`WorkflowType = 'backfillWorkflow' AND UaIntegrationId = '${A}'`);
    expect(runningWorkflowsQuery(A)).toBe(`UaIntegrationId = '${A}' AND ExecutionStatus = 'Running'`);
  });

  it('a quote cannot end the literal in the backfill list query', () => {
    expect(backfillsQuery("x' OR WorkflowType = 'y")).toBe("WorkflowType = 'backfillWorkflow' AND UaIntegrationId = 'x OR WorkflowType = y'");
  });
});

describe('gRPC error classification', () => {
  const wrapped = (code: unknown, depth: number): unknown => {
    let e: unknown = Object.assign(new Error('transport'), { code });
    for (let i = 0; i < depth; i++) e = Object.assign(new Error(`wrap ${i}`), { cause: e });
    return e;
  };

  it('collects the codes along the cause chain, at most six deep', () => {
    expect(grpcCodes(wrapped(14, 2))).toEqual([undefined, undefined, 14]);
    expect(grpcCodes(wrapped(14, 6))).toHaveLength(6);
    expect(grpcCodes(wrapped(14, 6))).not.toContain(14);
    expect(grpcCodes(null)).toEqual([]);
    expect(grpcCodes('UNAVAILABLE')).toEqual([]);
  });

  it('UNAVAILABLE and DEADLINE_EXCEEDED mean Temporal is unavailable, anywhere in the chain', () => {
    expect(isTemporalUnavailable(wrapped(14, 0))).toBe(true);
    expect(isTemporalUnavailable(wrapped(4, 3))).toBe(true);
    expect(isTemporalUnavailable(wrapped(14, 5))).toBe(true);
  });

  it('other codes, string codes and errors past six wrappers are not', () => {
    for (const code of [0, 1, 2, 3, 5, 7, 9, 13, 16, '14', 'UNAVAILABLE', 'ECONNREFUSED']) {
      expect(isTemporalUnavailable(wrapped(code, 1)), String(code)).toBe(false);
    }
    expect(isTemporalUnavailable(wrapped(14, 6))).toBe(false);
    expect(isTemporalUnavailable(undefined)).toBe(false);
  });
});
