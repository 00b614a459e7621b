import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsForDay, insertEvents, insertMetrics, makeEvent, metricsForDay, microsInstant, rng, type Cell, type EventRow } from '../../src/dev/generate.js';
import { duckdbRecipe } from '../../src/export/recipes/duckdb.js';
import { resolveOutputFormat } from '../../src/export/formats/format.js';
import { loadingFormat, type FormatName } from '../../src/export/recipes/formats.js';
import { polarsRecipe } from '../../src/export/recipes/polars.js';
import { pyarrowRecipe } from '../../src/export/recipes/pyarrow.js';
import { columnSpecs, TABLES, type ColumnSpec, type ColumnType, type TableName } from '../../src/export/tables.js';
import type { Integration } from '../../src/integrations/repo.js';
import { putIfChanged } from '../../src/s3/multipart.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import { exportDayWorkflow } from '../../workflows/index.js';
import { setupHarness, type Harness } from '../helpers/harness.js';

/**
 * The loading recipes of docs/LOADING.md, run by the real readers (DuckDB, Polars, pyarrow from PyPI,
 * scripts/readers.sh) on a tree the real worker just exported to the local S3: a day with rows, an
 * empty day, another day with rows. Each reader must give every column its declared type, as many
 * rows per day as the manifests say, and the source rows' values.
 */

// The formats whose trees the readers are run on. Adding one is one entry here.
const FORMATS: FormatName[] = ['csv', 'csv_gzip', 'parquet'];

const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03'] as const;
const EMPTY_DAY = '2026-03-02';

type Recipe = 'duckdb' | 'polars' | 'pyarrow';

/** The type each reader must report for each logical type (and for the dt partition column). */
const EXPECTED_TYPES: Record<Recipe, Record<ColumnType | 'dt', string>> = {
  duckdb: {
    string: 'VARCHAR',
    uuid: 'UUID',
    ip: 'VARCHAR',
    int64: 'BIGINT',
    decimal: 'DECIMAL(38,9)',
    timestamp: 'TIMESTAMP WITH TIME ZONE',
    date: 'DATE',
    json: 'JSON',
    dt: 'DATE',
  },
  polars: {
    string: 'String',
    uuid: 'String',
    ip: 'String',
    int64: 'Int64',
    decimal: 'Decimal(precision=38, scale=9)',
    timestamp: "Datetime(time_unit='us', time_zone='UTC')",
    date: 'Date',
    json: 'String',
    dt: 'Date',
  },
  pyarrow: {
    string: 'string',
    uuid: 'string',
    ip: 'string',
    int64: 'int64',
    decimal: 'decimal128(38, 9)',
    timestamp: 'timestamp[us, tz=UTC]',
    date: 'date32[day]',
    json: 'string',
    dt: 'date32[day]',
  },
};

/** Runs after a recipe: prints each table's columns, types and rows, every value in one canonical text form. */
const REPORT = String.raw`
import datetime as _dt, decimal as _dec, json as _json
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

def _canon(v):
    if v is None:
        return None
    if isinstance(v, _dt.datetime):
        # A naive datetime would have lost the zone: report it so the test fails visibly.
        return str((v - _EPOCH) // _dt.timedelta(microseconds=1)) if v.tzinfo else "naive " + v.isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, _dec.Decimal):
        # normalize() in a context wide enough for 38 digits: the default 28 would round the value.
        return "{:f}".format(v.normalize(_dec.Context(prec=100)))
    if isinstance(v, float):
        return "float " + repr(v)
    return str(v)

_out = {}
for _t in ("ua_events", "campaign_metrics"):
    _cols, _types, _rows = _frame(_t)
    _out[_t] = {"columns": list(_cols), "types": [str(x) for x in _types], "rows": [[_canon(x) for x in r] for r in _rows]}
print(_json.dumps(_out))
`;

const FRAME: Record<Recipe, (format: FormatName, root: string) => string> = {
  duckdb: (format, root) =>
    [
      'import duckdb',
      '_con = duckdb.connect()',
      // No extension may be fetched from the internet: the recipe must work with what the wheel carries.
      '_con.execute("SET autoinstall_known_extensions = false; SET autoload_known_extensions = true; SET TimeZone = \'UTC\'")',
      `_con.execute(${JSON.stringify(duckdbRecipe(loadingFormat(format), root))})`,
      'def _frame(t):',
      '    rel = _con.sql(f"SELECT * FROM {t}")',
      '    return rel.columns, rel.types, rel.fetchall()',
    ].join('\n'),
  polars: (format, root) =>
    [polarsRecipe(loadingFormat(format), root), 'def _frame(t):', '    df = globals()[t]', '    return df.columns, df.dtypes, df.rows()'].join('\n'),
  pyarrow: (format, root) =>
    [
      pyarrowRecipe(loadingFormat(format), root),
      'def _frame(t):',
      '    tab = globals()[t]',
      '    return tab.column_names, [f.type for f in tab.schema], [tuple(r.values()) for r in tab.to_pylist()]',
    ].join('\n'),
};

interface ReaderTable {
  columns: string[];
  types: string[];
  rows: (string | null)[][];
}

/** Each column in one canonical text form, computed by Postgres from the source rows without the export's renderSql. */
function canonicalSql(c: ColumnSpec): string {
  const v = `t.${c.name}`;
  switch (c.type) {
    case 'timestamp':
      return `((extract(epoch FROM ${v}) * 1000000)::bigint)::text`;
    case 'decimal':
      return `trim_scale(${v})::text`;
    case 'ip':
      return `host(${v})`;
    case 'string':
      return c.render === 'lower' ? `lower(${v})` : v;
    default:
      return `${v}::text`;
  }
}

async function sourceRows(h: Harness, table: TableName, appId: string): Promise<(string | null)[][]> {
  const cols = columnSpecs(table, true).map(canonicalSql);
  const dt = table === 'ua_events' ? `to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : 't.date::text';
  const { rows } = await h.pool.query<{ r: (string | null)[] }>({
    text: `SELECT ARRAY[${[...cols, dt].join(', ')}]::text[] AS r FROM ${table} t WHERE t.app_id = $1`,
    values: [appId],
  });
  return rows.map((x) => x.r);
}

const sortRows = (rows: (string | null)[][]) => rows.map((r) => JSON.stringify(r)).sort();

let h: Harness;
let python: string;
const tmp = mkdtempSync(join(tmpdir(), 'ua-export-readers-'));

beforeAll(async () => {
  // The same install npm test runs first (scripts/test.sh); cached, so this is a check.
  python = execFileSync('bash', ['scripts/readers.sh'], { encoding: 'utf8' }).trim();
  h = await setupHarness('readers');
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Rows that trip sniffers and naive CSV readers, on top of generated ones. */
function trickyEvents(appId: string, day: string): EventRow[] {
  const r = rng(99);
  const at = (micros: number, over: Record<string, Cell>): EventRow => ({ ...makeEvent(r, appId, day, micros), ...over });
  const tie = microsInstant(day, 43_200_000_000);
  return [
    at(1, {
      profile_id: null,
      os_version: '13.0',
      app_version: '1.10',
      campaign_name: 'Кампания “Ω” 🚀, "quoted"\nsecond line',
      adset_name: '',
      ad_name: null,
      conversion_value_usd: '12345678901234567890.123456789',
      conversion_value_local: '0.000000001',
      custom_parameters: { ü: 'ß\t"x"', nested: { a: [1, 2.5, null], b: true } },
      user_attributes: { tier: 'gold', emoji: '🎉' },
      ip_address: '2001:db8::1',
    }),
    at(2, { os_version: '12.10', user_agent: 'C:\\path\\to "agent", v2', user_attributes: null, ip_address: '::ffff:1.2.3.4', conversion_value_usd: '-0.50' }),
    ...[0, 1, 2, 3].map((i) => at(43_200_000_000, { created_at: tie, attribution_creative: `tie_${i}` })),
    at(86_399_999_999, { event_datetime: microsInstant(day, 86_399_999_999), os_version: '9' }),
  ];
}

describe.each(FORMATS)('the %s recipes, run by the real readers on an exported tree', (format) => {
  let integration: Integration;
  let root: string;
  const manifests = new Map<string, { table: string; day: string; rows: number }>();

  beforeAll(async () => {
    integration = await h.integration({
      settings: { sendUserAttributes: true, includeEventsWithoutProfile: true },
      output: resolveOutputFormat({ format }).value,
    });
    for (const [i, day] of DAYS.entries()) {
      if (day === EMPTY_DAY) continue;
      await insertEvents(h.pool, [...trickyEvents(integration.appId, day), ...eventsForDay(integration.appId, day, 40, 10 + i)]);
      const metrics = metricsForDay(integration.appId, day, 3, 20 + i);
      metrics[0] = { ...metrics[0]!, adset_id: '', ad_id: '', campaign_name: '', spend_usd: '0.000000001' };
      await insertMetrics(h.pool, metrics);
    }
    await Promise.all(
      DAYS.map((day) =>
        h.testEnv.client.workflow.execute(exportDayWorkflow, {
          taskQueue: h.taskQueue,
          workflowId: exportWorkflowId(integration.id, day),
          args: [{ integrationId: integration.id, day, kind: 'manual' }],
        }),
      ),
    );
    // A local copy of <prefix>/<folder>, as `aws s3 sync` would make it.
    root = join(tmp, format, integration.folder);
    for (const key of await h.listKeys(`${integration.folder}/`)) {
      const path = join(tmp, format, key);
      mkdirSync(dirname(path), { recursive: true });
      const body = await h.getBytes(key);
      writeFileSync(path, body);
      if (key.endsWith('/_manifest.json')) {
        const m = JSON.parse(body.toString('utf8')) as { table: string; day: string; rows: number };
        manifests.set(`${m.table}/${m.day}`, m);
      }
    }
    expect(manifests.size).toBe(DAYS.length * TABLES.length);
  });

  it("delivers each table folder's _schema.json: one line, the schema every manifest carries", async () => {
    for (const table of TABLES) {
      const text = await h.getText(`${integration.folder}/${table}/_schema.json`);
      expect(text.endsWith('\n') && !text.slice(0, -1).includes('\n')).toBe(true);
      for (const day of DAYS) {
        const manifest = await h.getText(`${integration.folder}/${table}/dt=${day}/_manifest.json`);
        expect(manifest.split('\n')).toHaveLength(2);
        expect((JSON.parse(manifest) as { schema: unknown }).schema).toEqual(JSON.parse(text));
      }
    }
  });

  it.each(['duckdb', 'polars', 'pyarrow'] as const)('%s: declared types, manifest row counts, source values', async (reader) => {
    const script = join(tmp, `${format}-${reader}.py`);
    writeFileSync(script, `${FRAME[reader](format, root)}\n${REPORT}`);
    const run = spawnSync(python, [script], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as Record<TableName, ReaderTable>;

    for (const table of TABLES) {
      const specs = columnSpecs(table, true);
      const got = out[table];
      expect(got.columns).toEqual([...specs.map((c) => c.name), 'dt']);
      expect(Object.fromEntries(got.columns.map((c, i) => [c, got.types[i]]))).toEqual(
        Object.fromEntries([...specs.map((c) => [c.name, EXPECTED_TYPES[reader][c.type]]), ['dt', EXPECTED_TYPES[reader].dt]]),
      );
      const perDay = Object.fromEntries(DAYS.map((d) => [d, got.rows.filter((r) => r.at(-1) === d).length]));
      expect(perDay).toEqual(Object.fromEntries(DAYS.map((d) => [d, manifests.get(`${table}/${d}`)!.rows])));
      expect(perDay[EMPTY_DAY]).toBe(0);
      expect(sortRows(got.rows)).toEqual(sortRows(await sourceRows(h, table, integration.appId)));
    }
  });
});

describe('putIfChanged against the real S3', () => {
  it('writes a missing object, leaves an identical one alone and replaces a different one', async () => {
    const key = `put-if-changed-${Date.now()}/_schema.json`;
    const put = (text: string) => putIfChanged(h.s3, h.bucket, key, Buffer.from(text), 'application/json');
    expect(await put('{"a":1}\n')).toBe(true);
    expect(await put('{"a":1}\n')).toBe(false);
    expect(await put('{"a":2}\n')).toBe(true);
    expect(await h.getText(key)).toBe('{"a":2}\n');
  });
});
