import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { addDays, utcDayOf } from '../../../export/days.js';
import { TABLES } from '../../../export/tables.js';
import { getIntegration } from '../../../integrations/repo.js';
import { dayRangeProblems } from '../../../integrations/validation.js';
import { ledgerForRange } from '../../../ledger/export-runs.js';
import { validationFailed } from '../../errors.js';
import { errors, IntegrationParams, security } from '../../schemas/common.js';
import { ExportsQuery, ExportsResponse } from '../../schemas/exports.js';

const exportsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ua = app.ua;

  app.get(
    '',
    {
      schema: {
        tags: ['exports'],
        security,
        summary: 'The export ledger per day and table, gaps included',
        description:
          "One entry per day and table from `from` to `to`: the latest attempt's status, rows, bytes, object key, sha256, times and workflow. A day never exported is listed with status `missing`, so gaps are visible. At most BACKFILL_MAX_DAYS days per request.",
        params: IntegrationParams,
        querystring: ExportsQuery,
        response: { 200: ExportsResponse, ...errors(400, 404) },
      },
    },
    async (req) => {
      const integration = await getIntegration(ua.pool, req.params.id);
      const to = req.query.to ?? addDays(utcDayOf(ua.now()), -1);
      const from = req.query.from ?? safeAddDays(to, -29);
      const problems = dayRangeProblems(from, to, { today: utcDayOf(ua.now()), maxDays: ua.env.BACKFILL_MAX_DAYS, completeDaysOnly: false });
      if (problems.length > 0) throw validationFailed(problems);
      const tables = req.query.table ? [req.query.table] : [...TABLES];
      const entries = await ledgerForRange(ua.pool, integration.id, from, to, tables);
      const summary = { succeeded: 0, failed: 0, running: 0, cancelled: 0, missing: 0 };
      for (const e of entries) summary[e.status]++;
      return { integrationId: integration.id, from, to, summary, entries };
    },
  );
};

/** addDays for a value that may not be a real day yet (the range check reports that). */
function safeAddDays(day: string, n: number): string {
  try {
    return addDays(day, n);
  } catch {
    return day;
  }
}

export default exportsRoutes;
