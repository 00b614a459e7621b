import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { addDays, dayCount, isDay, utcDayOf } from '../../../export/days.js';
import { TABLES } from '../../../export/tables.js';
import { BAD_CALENDAR_CURSOR, decodeCalendarCursor, encodeCalendarCursor } from '../../../integrations/calendar-cursor.js';
import { getIntegration, listIntegrationsByApp } from '../../../integrations/repo.js';
import { dayRangeProblems } from '../../../integrations/validation.js';
import { calendarCodes } from '../../../ledger/export-runs.js';
import { workflowUiUrlPrefix } from '../../../temporal/links.js';
import { notFound, validationFailed } from '../../errors.js';
import { CALENDAR_PAGE_DEFAULT, CalendarQuery, CalendarResponse, FileLink, FileParams } from '../../schemas/calendar.js';
import { errors, security } from '../../schemas/common.js';
import { FILE_LINK_TTL_SECONDS, latestExportedFile, presignFile } from './files.js';
import shell from './shell.js';

/**
 * The export calendar: the page shell at /calendar (static, no data, no token), and behind the bearer
 * token the data it draws: day codes for every integration (GET /v1/calendar) and a short-lived link to
 * a day's file (GET /v1/integrations/:id/files/:table/:day). Per-day detail comes from the existing
 * ledger route (GET /v1/integrations/:id/exports), backfills from POST …/backfills.
 */
const calendar: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(shell);
  await app.register(data, { prefix: '/v1' });
};

/** How many days the calendar shows by default: two years, leap day included. */
export const DEFAULT_CALENDAR_DAYS = 731;

const tags = ['exports'];

const data: FastifyPluginAsyncTypebox = async (app) => {
  const ua = app.ua;
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/calendar',
    {
      schema: {
        tags,
        security,
        summary: 'Export calendar: one state code per day for every integration',
        description:
          'A page of integrations (by app id; follow `nextCursor` for the rest) and for each a string with one character per day from `from` to `to` (the latest attempt of each table, from the ledger): `x` exported, `e` exported but empty, `f` failed, `r` running, `m` missing; and `worker`, whether a worker polls the task queue (null when Temporal could not be asked). Default range: the last 731 days up to yesterday (UTC); at most BACKFILL_MAX_DAYS days. The page at /calendar draws it.',
        querystring: CalendarQuery,
        response: { 200: CalendarResponse, ...errors(400) },
      },
    },
    async (req, reply) => {
      const today = utcDayOf(ua.now());
      const maxDays = ua.env.BACKFILL_MAX_DAYS;
      const span = Math.min(DEFAULT_CALENDAR_DAYS, maxDays);
      const to = req.query.to ?? addDays(today, -1);
      const from = req.query.from ?? (isDay(to) ? addDays(to, -(span - 1)) : to);
      const problems = dayRangeProblems(from, to, { today, maxDays, completeDaysOnly: false });
      const after = req.query.cursor === undefined ? null : decodeCalendarCursor(req.query.cursor);
      if (req.query.cursor !== undefined && after === null) problems.push(BAD_CALENDAR_CURSOR);
      if (problems.length > 0) throw validationFailed(problems);
      // The page first, then the codes of its integrations only (one scan of export_day_state for them),
      // so a request costs one page whatever the number of integrations. Who polls comes from Temporal:
      // when it cannot be asked the calendar still draws, with worker null.
      const [page, worker] = await Promise.all([
        listIntegrationsByApp(ua.pool, { limit: req.query.limit ?? CALENDAR_PAGE_DEFAULT, after }),
        ua.temporal(() => ua.workers.get(), 2_000).catch(() => null),
      ]);
      const codes =
        page.integrations.length === 0
          ? new Map<string, string>()
          : await calendarCodes(
              ua.pool,
              from,
              to,
              TABLES,
              page.integrations.map((i) => i.id),
            );
      const none = 'm'.repeat(dayCount(from, to));
      void reply.header('cache-control', 'no-store');
      return {
        from,
        to,
        today,
        maxDays,
        workflowUrlPrefix: workflowUiUrlPrefix(ua.env.TEMPORAL_UI_URL, ua.env.TEMPORAL_NAMESPACE),
        worker,
        integrations: page.integrations.map((i) => ({
          id: i.id,
          appId: i.appId,
          bucket: i.bucket,
          folder: i.folder,
          enabled: i.enabled,
          autoPaused: i.autoPaused ? { since: i.autoPaused.sinceDay, reason: i.autoPaused.reason } : null, // issue 12
          codes: codes.get(i.id) ?? none,
        })),
        nextCursor: page.next ? encodeCalendarCursor(page.next) : null,
      };
    },
  );

  app.get(
    '/integrations/:id/files/:table/:day',
    {
      schema: {
        tags,
        security,
        summary: 'A short-lived link to the file exported for a day',
        description: `A presigned GET URL (valid ${FILE_LINK_TTL_SECONDS / 60} minutes) for the CSV of the latest successful export of \`table\` on \`day\`, signed with the integration's own storage credentials (which never leave the server). 404 when the ledger has no successful export of that day.`,
        params: FileParams,
        response: { 200: FileLink, ...errors(404) },
      },
    },
    async (req, reply) => {
      const { id, table, day } = req.params;
      if (!isDay(day)) throw notFound(`no such day: ${day}`);
      const integration = await getIntegration(ua.pool, id);
      const file = await latestExportedFile(ua.pool, integration.id, table, day);
      if (!file) throw notFound(`integration ${integration.id} has no successful export of ${table} for ${day}`);
      const link = await presignFile(ua.pool, ua.keyring, integration.id, file);
      req.log.info({ integrationId: integration.id, table, day, key: file.key }, 'file link issued');
      void reply.header('cache-control', 'no-store');
      return link;
    },
  );
};

export default calendar;
