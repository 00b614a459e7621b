import { describe, expect, it } from 'vitest';
import { buildCopy, buildSelect, keyColumnCount, refusedRow, settingsFilter, sqlLiteral, type QueryInput } from '../../src/export/query.js';
import type { ExportSettings } from '../../src/export/settings.js';

const APP = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
const CUTOFF = '2026-11-01T00:00:00Z';

const settings = (over: Partial<ExportSettings> = {}): ExportSettings => ({
  excludeHistoricalEvents: false,
  includeEventsWithoutProfile: true,
  sendUserAttributes: false,
  eventTypes: null,
  ...over,
});

const events = (over: Partial<QueryInput> = {}): QueryInput => ({
  table: 'ua_events',
  appId: APP,
  day: '2026-11-28',
  settings: settings(),
  historicalCutoff: CUTOFF,
  after: null,
  ...over,
});

const metrics = (over: Partial<QueryInput> = {}): QueryInput => events({ table: 'campaign_metrics', ...over });

/** The WHERE clause's predicates, in order. */
function predicates(sql: string): string[] {
  const m = / WHERE (.*) ORDER BY /.exec(sql);
  if (!m) throw new Error(`no WHERE … ORDER BY in ${sql}`);
  return m[1]!.split(' AND ');
}

const BASE_WHERE = [
  `t.app_id = '${APP}'`,
  `t.created_at >= '2026-11-28T00:00:00.000000Z'::timestamptz`,
  `t.created_at < '2026-11-29T00:00:00.000000Z'::timestamptz`,
];

describe('sqlLiteral', () => {
  it.each([
    ['abc', `'abc'`],
    ['', `''`],
    ["O'Brien", `'O''Brien'`],
    ["''", `''''''`],
    ["'; DROP TABLE ua_events; --", `'''; DROP TABLE ua_events; --'`],
    ['back\\slash', `'back\\slash'`], // standard_conforming_strings: a backslash is literal
    ['Ünïcødé 🚀', `'Ünïcødé 🚀'`],
  ])('%j → %s', (value, expected) => {
    expect(sqlLiteral(value)).toBe(expected);
  });

  it('rejects NUL', () => {
    expect(() => sqlLiteral('a\u0000b')).toThrow(RangeError);
  });
});

describe('keyColumnCount', () => {
  it('is 2 for ua_events (id, created_at) and 0 for campaign_metrics', () => {
    expect(keyColumnCount('ua_events')).toBe(2);
    expect(keyColumnCount('campaign_metrics')).toBe(0);
  });
});

describe('buildSelect: ua_events', () => {
  it('selects the two key columns first, then the contract columns, ordered by the keyset', () => {
    const sql = buildSelect(events());
    expect(sql.startsWith('SELECT t.id, t.created_at, t.profile_id, lower(t.event_type), ')).toBe(true);
    expect(sql).toContain(`to_char(t.event_datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
    expect(sql).toContain('host(t.ip_address)');
    expect(sql).toContain(', t.custom_parameters FROM ua_events t WHERE ');
    expect(sql.endsWith(' ORDER BY t.created_at, t.id')).toBe(true);
  });

  it('with every setting permissive, filters only on app and the half-open day window', () => {
    expect(predicates(buildSelect(events()))).toEqual(BASE_WHERE);
  });

  it('day window crosses a year end', () => {
    const where = predicates(buildSelect(events({ day: '2026-12-31' })));
    expect(where[1]).toBe(`t.created_at >= '2026-12-31T00:00:00.000000Z'::timestamptz`);
    expect(where[2]).toBe(`t.created_at < '2027-01-01T00:00:00.000000Z'::timestamptz`);
  });

  it('excludeHistoricalEvents adds event_datetime >= cutoff', () => {
    const on = predicates(buildSelect(events({ settings: settings({ excludeHistoricalEvents: true }) })));
    expect(on).toEqual([...BASE_WHERE, `t.event_datetime >= '2026-11-01T00:00:00Z'::timestamptz`]);
    const off = predicates(buildSelect(events({ settings: settings({ excludeHistoricalEvents: false }) })));
    expect(off).toEqual(BASE_WHERE);
  });

  it('includeEventsWithoutProfile=false adds profile_id IS NOT NULL; true removes it', () => {
    expect(predicates(buildSelect(events({ settings: settings({ includeEventsWithoutProfile: false }) })))).toEqual([
      ...BASE_WHERE,
      't.profile_id IS NOT NULL',
    ]);
    expect(buildSelect(events({ settings: settings({ includeEventsWithoutProfile: true }) }))).not.toContain('profile_id IS NOT NULL');
  });

  it('eventTypes list adds lower(event_type) IN (…); null adds nothing; [] matches nothing', () => {
    expect(predicates(buildSelect(events({ settings: settings({ eventTypes: ['install', 'trial_started'] }) })))).toEqual([
      ...BASE_WHERE,
      `lower(t.event_type) IN ('install', 'trial_started')`,
    ]);
    expect(buildSelect(events({ settings: settings({ eventTypes: null }) }))).not.toContain('event_type) IN');
    expect(predicates(buildSelect(events({ settings: settings({ eventTypes: [] }) })))).toEqual([...BASE_WHERE, 'false']);
  });

  it('sendUserAttributes adds the user_attributes column last, and only then', () => {
    const without = buildSelect(events({ settings: settings({ sendUserAttributes: false }) }));
    const withAttrs = buildSelect(events({ settings: settings({ sendUserAttributes: true }) }));
    expect(without).not.toContain('user_attributes');
    expect(withAttrs).toContain(', t.custom_parameters, t.user_attributes FROM ua_events t');
    expect(withAttrs.match(/user_attributes/g)).toHaveLength(1);
  });

  it('combines all settings in a fixed order', () => {
    const s = settings({ excludeHistoricalEvents: true, includeEventsWithoutProfile: false, eventTypes: ['install'] });
    expect(predicates(buildSelect(events({ settings: s })))).toEqual([
      ...BASE_WHERE,
      `t.event_datetime >= '2026-11-01T00:00:00Z'::timestamptz`,
      't.profile_id IS NOT NULL',
      `lower(t.event_type) IN ('install')`,
    ]);
  });

  it('adds the keyset cursor predicate before the settings filters', () => {
    const s = settings({ includeEventsWithoutProfile: false });
    const where = predicates(buildSelect(events({ settings: s, after: { createdAt: '2026-11-28 10:15:00.5+00', id: '9007199254740993' } })));
    expect(where).toEqual([
      ...BASE_WHERE,
      `(t.created_at, t.id) > ('2026-11-28 10:15:00.5+00'::timestamptz, 9007199254740993::bigint)`,
      't.profile_id IS NOT NULL',
    ]);
  });

  it.each(['2026-11-28 10:15:00+00', '2026-11-28 10:15:00.123456+00', '2026-11-28T10:15:00Z', '2026-11-28T10:15:00.1+00:00', '2026-11-28 10:15:00'])(
    'accepts cursor timestamp %j verbatim',
    (createdAt) => {
      const sql = buildSelect(events({ after: { createdAt, id: '1' } }));
      expect(sql).toContain(`(t.created_at, t.id) > ('${createdAt}'::timestamptz, 1::bigint)`);
    },
  );

  it('without a cursor has no keyset predicate', () => {
    expect(buildSelect(events())).not.toContain('(t.created_at, t.id) >');
  });

  it('rejects an ordinal cursor', () => {
    expect(() => buildSelect(events({ after: { ordinal: 3 } }))).toThrow(/cursor must be a \(createdAt, id\) key/);
  });
});

describe('buildSelect: campaign_metrics', () => {
  const BASE = `FROM campaign_metrics t WHERE t.app_id = '${APP}' AND t.date = '2026-11-28'::date` + ' ORDER BY t.platform, t.campaign_id, t.adset_id, t.ad_id';

  it('selects the contract columns without key columns, by date and primary key order', () => {
    const sql = buildSelect(metrics());
    expect(sql.startsWith('SELECT t.campaign_id, t.campaign_name, ')).toBe(true);
    expect(sql).toContain(' ELSE t.ltv_usd END ' + BASE);
    expect(sql.endsWith(BASE)).toBe(true);
    expect(sql).not.toMatch(/t\.id\b/);
    expect(sql).not.toContain('OFFSET');
  });

  it('resumes with OFFSET <ordinal>', () => {
    expect(buildSelect(metrics({ after: { ordinal: 40 } })).endsWith(`${BASE} OFFSET 40`)).toBe(true);
    expect(buildSelect(metrics({ after: { ordinal: 0 } })).endsWith(`${BASE} OFFSET 0`)).toBe(true);
  });

  it('ignores the ua_events settings', () => {
    const strict = settings({ excludeHistoricalEvents: true, includeEventsWithoutProfile: false, sendUserAttributes: true, eventTypes: ['install'] });
    expect(buildSelect(metrics({ settings: strict }))).toBe(buildSelect(metrics()));
  });

  it('rejects a keyset cursor', () => {
    expect(() => buildSelect(metrics({ after: { createdAt: '2026-11-28 00:00:00+00', id: '1' } }))).toThrow(/ordinal/);
  });
});

describe('buildCopy', () => {
  it('wraps the SELECT in COPY … TO STDOUT (FORMAT csv)', () => {
    const input = events({ settings: settings({ eventTypes: ['install'] }) });
    const copy = buildCopy(input);
    expect(copy.startsWith('COPY (SELECT t.id, t.created_at, ')).toBe(true);
    expect(copy.endsWith(' ORDER BY t.created_at, t.id) TO STDOUT (FORMAT csv)')).toBe(true);
    expect(copy).toContain(`lower(t.event_type) IN ('install')`);
  });
});

describe('rejects malformed input (COPY takes no bind parameters)', () => {
  it.each(["x' OR '1'='1", `${APP}'; DROP TABLE ua_events; --`, APP.slice(0, -1), APP.replace(/-/g, ''), '', `{${APP}}`])('appId %j', (appId) => {
    expect(() => buildSelect(events({ appId }))).toThrow(/appId/);
    expect(() => buildSelect(metrics({ appId }))).toThrow(/appId/);
  });

  it('accepts an upper-case UUID', () => {
    expect(buildSelect(events({ appId: APP.toUpperCase() }))).toContain(`t.app_id = '${APP.toUpperCase()}'`);
  });

  it.each(['', '-1', '1.5', '1e3', '0x10', '12345678901234567890', '1 OR 1=1', "1'", '1)--', ' 1'])('cursor id %j', (id) => {
    expect(() => buildSelect(events({ after: { createdAt: '2026-11-28 00:00:00+00', id } }))).toThrow(/cursor id/);
  });

  it.each([
    "2026-11-28 00:00:00+00'); DROP TABLE ua_events; --",
    "2026-11-28 00:00:00'",
    '2026-11-28',
    'now',
    '2026-11-28 00:00:00+03',
    '2026-11-28 00:00:00.1234567+00',
    '',
  ])('cursor createdAt %j', (createdAt) => {
    expect(() => buildSelect(events({ after: { createdAt, id: '1' } }))).toThrow(/cursor createdAt/);
  });

  it.each([["install'); DROP TABLE ua_events; --"], ["install' OR 'a'='a"], ['in"stall'], ['trial started'], ['Install'], [''], ['x'.repeat(65)]])(
    'event type %j',
    (t) => {
      expect(() => buildSelect(events({ settings: settings({ eventTypes: ['install', t] }) }))).toThrow(/event type/);
    },
  );

  it('historicalCutoff with a quote, only when the setting uses it', () => {
    const bad = "2026-11-01T00:00:00Z'--";
    expect(() => buildSelect(events({ settings: settings({ excludeHistoricalEvents: true }), historicalCutoff: bad }))).toThrow(/historicalCutoff/);
    expect(() => buildSelect(events({ settings: settings({ excludeHistoricalEvents: false }), historicalCutoff: bad }))).not.toThrow();
  });

  it('invalid day', () => {
    expect(() => buildSelect(events({ day: "2026-11-28'" }))).toThrow(RangeError);
    expect(() => buildSelect(metrics({ day: '2026-02-30' }))).toThrow(RangeError);
  });
});

describe('settingsFilter', () => {
  it('is empty when nothing filters', () => {
    expect(settingsFilter(settings(), CUTOFF)).toEqual([]);
  });

  it('lists each predicate the settings ask for', () => {
    expect(
      settingsFilter(
        { excludeHistoricalEvents: true, includeEventsWithoutProfile: false, sendUserAttributes: true, eventTypes: ['install', 'reinstall'] },
        '2026-11-01 00:00:00+00',
      ),
    ).toEqual([`t.event_datetime >= '2026-11-01 00:00:00+00'::timestamptz`, 't.profile_id IS NOT NULL', `lower(t.event_type) IN ('install', 'reinstall')`]);
  });
});

describe('regressions found in review', () => {
  // Every other inlined value is validated with a RangeError, but the campaign_metrics ordinal is only
  // Math.trunc'ed: NaN, Infinity or a negative number become "OFFSET NaN" / "OFFSET -1", which Postgres
  // rejects only at run time (not injectable, since it is a number).
  it.each([Number.NaN, -1, Number.POSITIVE_INFINITY])('rejects ordinal cursor %s', (ordinal) => {
    expect(() => buildSelect(metrics({ after: { ordinal } }))).toThrow(RangeError);
  });
});

describe('refusedRow', () => {
  it("returns the refusal guard's message from Postgres's failed cast, and null for any other error", () => {
    const message = 'ua-export refused ua_events row id=7: column event_datetime holds infinity, outside the years 0001-9999';
    expect(refusedRow(new Error(`invalid input syntax for type integer: "${message}"`))).toBe(message);
    expect(refusedRow(new Error('invalid input syntax for type integer: "abc"'))).toBeNull();
    expect(refusedRow(new Error('Connection terminated unexpectedly'))).toBeNull();
    expect(refusedRow(message)).toBeNull();
  });

  it('guards every timestamp and decimal column of the file, and no other', () => {
    const guarded = (sql: string) => [...sql.matchAll(/: column (\w+) holds /g)].map((m) => m[1]);
    expect(guarded(buildSelect(events()))).toEqual([
      'event_datetime',
      'click_datetime',
      'install_datetime',
      'conversion_datetime',
      'conversion_value_usd',
      'conversion_value_local',
    ]);
    expect(guarded(buildSelect(metrics()))).toEqual(['spend_usd', 'spend_local', 'cpi_usd', 'cpc_usd', 'cpm_usd', 'ctr', 'icr', 'ipm', 'ltv_usd']);
  });
});
