import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { eventsForDay, insertEvents, insertMetrics, makeEvent, metricsForDay, microsInstant, rng, type EventRow } from '../../../src/dev/generate.js';
import { dayKeys } from '../verify.js';
import { emptyOutcome, type Scenario } from '../scenario.js';
import { unexpectedExits } from './common.js';

/**
 * 9. Poison data through the real worker: one day holds the extreme values the columns allow (a 1 MB
 * JSON value, every control character, the largest numeric, the first and last datetimes the CSV form
 * can write) among ordinary rows and must arrive exact; the next day holds one value the CSV form cannot
 * write (a random pick of the kinds the export refuses), so its ua_events must be refused with a
 * message naming the row's id and column, never skipped, while its campaign_metrics are still delivered.
 */
const EXACT_DAY = '2026-03-20';
const REFUSED_DAY = '2026-03-21';

const CONTROLS = [...Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)), '\u007f'].join('');
const AWKWARD = `${CONTROLS} "quoted", comma, back\\slash \\N \\. \r\n CRLF 🚀👩‍👩‍👧 𝄞 \u2028\u2029 end`;
const MAX_NUMERIC = `${'9'.repeat(131_072)}.${'9'.repeat(16_383)}`;

const REFUSALS: { column: string; value: string }[] = [
  { column: 'event_datetime', value: '4713-01-01 00:00:00 BC' },
  { column: 'install_datetime', value: '294276-12-31 23:59:59.999999+00' },
  { column: 'conversion_datetime', value: 'infinity' },
  { column: 'conversion_value_usd', value: 'NaN' },
  { column: 'conversion_value_local', value: '-Infinity' },
];

function bigJson(seed: number): Record<string, unknown> {
  const r = rng(seed);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < 4_000; i++) out[`key_${i}_${Math.floor(r() * 1e6)}`] = { s: `${AWKWARD} ${i}`, n: Math.floor(r() * 1e9), a: [i, `x,y "${i}"`, null] };
  return out;
}

export const poison: Scenario = {
  id: 'poison',
  title: 'Poison data: extreme values exported exactly, unwritable ones refused naming row and column',
  async run(lab, { rnd }) {
    const out = emptyOutcome();
    // An app of the run's own, so the verifier's expected rows are exactly what this run inserted.
    const appId = randomUUID();
    const decoy = randomUUID();
    const clean = lab.quick ? 500 : 3_000;
    const at = (day: string) => microsInstant(day, Math.floor(rnd() * 86_400_000_000));
    const poisonRow = (day: string, over: Partial<EventRow>): EventRow => ({
      ...makeEvent(rng(Math.floor(rnd() * 1e9)), appId, day, 0),
      created_at: at(day),
      ...over,
    });
    const exactRows = [
      poisonRow(EXACT_DAY, { custom_parameters: bigJson(Math.floor(rnd() * 1e9)), campaign_name: 'one megabyte of JSON' }),
      poisonRow(EXACT_DAY, { campaign_name: AWKWARD, adset_name: CONTROLS, custom_parameters: { controls: CONTROLS, text: AWKWARD } }),
      poisonRow(EXACT_DAY, { conversion_value_usd: MAX_NUMERIC, conversion_value_local: `-${MAX_NUMERIC}` }),
      poisonRow(EXACT_DAY, { event_datetime: '0001-01-01T00:00:00.000000Z', install_datetime: '9999-12-31T23:59:59.999999Z' }),
    ];
    const refusal = REFUSALS[Math.floor(rnd() * REFUSALS.length)]!;
    const marker = `poison-${randomUUID()}`;
    await insertEvents(lab.pool, eventsForDay(appId, EXACT_DAY, clean, Math.floor(rnd() * 1e6)));
    await insertEvents(lab.pool, exactRows);
    await insertEvents(lab.pool, eventsForDay(appId, REFUSED_DAY, clean, Math.floor(rnd() * 1e6)));
    await insertEvents(lab.pool, [poisonRow(REFUSED_DAY, { campaign_name: marker, [refusal.column]: refusal.value })]);
    const [metric] = metricsForDay(appId, EXACT_DAY, 1, 5);
    await insertMetrics(lab.pool, [
      {
        ...metric!,
        impressions: '9223372036854775807',
        clicks: '-9223372036854775808',
        spend_usd: MAX_NUMERIC,
        ctr: '1.000000000000000000000000000000000000001',
      },
      ...metricsForDay(appId, REFUSED_DAY, 3, 6),
    ]);
    for (const day of [EXACT_DAY, REFUSED_DAY]) {
      await insertEvents(lab.pool, eventsForDay(decoy, day, 200, 7));
      await insertMetrics(lab.pool, metricsForDay(decoy, day, 2, 8));
    }
    const { rows } = await lab.pool.query<{ id: string }>('SELECT id::text FROM ua_events WHERE app_id = $1 AND campaign_name = $2', [appId, marker]);
    const poisonId = rows[0]!.id;
    out.faults += exactRows.length + 2;

    const integration = await lab.integration({ appId });
    const worker = await lab.startWorker();
    const started = Date.now();
    const wf = await lab.backfill(integration, EXACT_DAY, REFUSED_DAY);
    const status = await lab.waitClosed(wf, 900_000);
    out.faultToDeliveredMs.push(Date.now() - started);
    if (status !== 'COMPLETED') out.notes.push(`backfill closed ${status}`);
    out.workerSurvived = worker.alive();
    out.notes.push(...unexpectedExits(lab));

    const exact = await lab.verify(integration, [EXACT_DAY]);
    const metrics = await lab.verify(integration, [REFUSED_DAY], ['campaign_metrics']);
    out.verdicts = [...exact.verdicts, ...metrics.verdicts];
    out.openUploads = metrics.openUploads;

    // The refused table: a failed run whose error names the row and column, and no file or manifest.
    const problems: string[] = [];
    const run = await lab.pool.query<{ status: string; error: string | null }>(
      "SELECT status, error FROM export_runs WHERE integration_id = $1 AND table_name = 'ua_events' AND day = $2 ORDER BY id DESC LIMIT 1",
      [integration.id, REFUSED_DAY],
    );
    const r = run.rows[0];
    if (r?.status !== 'failed') problems.push(`ledger: latest run ${r?.status ?? 'none'}, expected failed`);
    const named = `row id=${poisonId}: column ${refusal.column}`;
    if (!r?.error?.includes(named)) problems.push(`error ${JSON.stringify(r?.error?.slice(0, 200))} does not name "${named}"`);
    const keys = dayKeys({ folder: integration.folder, table: 'ua_events', day: REFUSED_DAY });
    const listed = await lab.s3.send(new ListObjectsV2Command({ Bucket: integration.bucket, Prefix: keys.dataKey.replace(/[^/]+$/, '') }));
    const left = (listed.Contents ?? []).map((c) => c.Key);
    if (left.length) problems.push(`refused day left objects: ${left.join(', ')}`);
    if (problems.length)
      out.verdicts.push({
        day: REFUSED_DAY,
        table: 'ua_events',
        delivered: left.length > 0,
        exact: false,
        expectedRows: clean + 1,
        rowsLost: 0,
        rowsDuplicated: 0,
        rowsForeign: 0,
        manifestOk: false,
        ledgerOk: false,
        problems,
      });
    else out.notes.push(`refused ${refusal.column} = ${refusal.value.slice(0, 32)} naming its row`);
    return out;
  },
};
