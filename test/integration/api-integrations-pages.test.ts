import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/cli/client.js';
import { encodeListCursor } from '../../src/integrations/list-cursor.js';
import { deleteSchedule } from '../../src/temporal/schedules.js';
import { setupHarness, type Harness } from '../helpers/harness.js';
import { testApi, TOKEN, waitFor, type TestApi } from './api-helpers.js';

/**
 * GET /v1/integrations page by page on the real Postgres (and Temporal for the schedule states): keyset
 * order, no repeat and no skip across pages while integrations are created and deleted in between,
 * microsecond neighbours across a page boundary, limit bounds, a bad cursor, and the CLI's client
 * following nextCursor.
 *
 * The shared test database keeps other files' integrations, so this file's own rows are placed in the
 * year 2999: newest first, they are the first pages whatever else is there. They are deleted after.
 */
let h: Harness;
let api: TestApi;
const schedules: string[] = [];
const FUTURE = '2999-01-01';

beforeAll(async () => {
  h = await setupHarness('pages');
  api = await testApi(h);
  await h.pool.query('DELETE FROM integrations WHERE created_at >= $1', [FUTURE]);
});

afterAll(async () => {
  await h?.pool.query('DELETE FROM integrations WHERE created_at >= $1', [FUTURE]).catch(() => undefined);
  for (const id of schedules) await deleteSchedule(h.testEnv.client, id).catch(() => undefined);
  await api?.close();
  await h?.close();
});

/** An integration (row only, no schedule) created at `FUTURE` plus `micros` microseconds. */
async function at(micros: number, id?: string): Promise<string> {
  const i = await h.integration(id ? { id } : {});
  await h.pool.query(`UPDATE integrations SET created_at = $2::timestamptz + make_interval(secs => $3::double precision / 1e6) WHERE id = $1`, [
    i.id,
    FUTURE,
    micros,
  ]);
  return i.id;
}

type Page = { integrations: { id: string; schedule: unknown }[]; nextCursor: string | null };

async function page(query: string): Promise<Page> {
  const res = await api.call('GET', `/v1/integrations${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Page>();
}

function expectBad(res: { statusCode: number; json(): unknown }, field: string) {
  expect(res.statusCode).toBe(400);
  const body = res.json() as { error: string; details: { field: string; rule: string }[] };
  expect(body.error).toBe('validation_failed');
  expect(body.details.map((d) => d.field)).toContain(field);
}

describe('GET /v1/integrations pages', () => {
  it('walks newest first with no repeat and no skip while integrations are created and deleted between pages', async () => {
    // Microseconds apart (the same millisecond), and two on one instant (ordered by id).
    const [lowId, highId] = [randomUUID(), randomUUID()].sort() as [string, string];
    const rows = new Map<string, number>();
    for (const m of [100, 90, 80, 71, 70, 60, 50, 40]) rows.set(await at(m), m);
    rows.set(await at(30, lowId), 30);
    rows.set(await at(30, highId), 30);
    rows.set(await at(20), 20);
    const expectedBefore = [...rows.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1)).map(([id]) => id);
    expect(expectedBefore.indexOf(highId)).toBe(expectedBefore.indexOf(lowId) - 1);

    const seen: string[] = [];
    // limit 4: the first page ends on the 71 µs row, so its 70 µs neighbour starts the next one.
    let p = await page('?limit=4');
    seen.push(...p.integrations.map((i) => i.id));
    expect(seen).toEqual(expectedBefore.slice(0, 4));
    expect(p.nextCursor).toEqual(expect.any(String));

    // Between pages: one newer than everything (lands before the pages read), one among the rows
    // already read, one among those not yet read; and an unread one deleted.
    const newest = await at(200);
    const inRead = await at(85);
    const inUnread = await at(55);
    const deleted = expectedBefore[6]!;
    await h.pool.query('DELETE FROM integrations WHERE id = $1', [deleted]);

    const mine = new Set([...rows.keys(), newest, inRead, inUnread]);
    while (p.nextCursor !== null) {
      p = await page(`?limit=4&cursor=${p.nextCursor}`);
      const ours = p.integrations.filter((i) => mine.has(i.id)).map((i) => i.id);
      seen.push(...ours);
      if (ours.length < p.integrations.length) break; // past this file's rows: the rest is older
    }
    const expectedAfter = [
      ...expectedBefore.slice(0, 4),
      ...expectedBefore.slice(4).flatMap((id) => (id === expectedBefore[5] ? [id, inUnread] : [id])),
    ].filter((id) => id !== deleted);
    expect(seen).toEqual(expectedAfter);
    expect(seen).not.toContain(newest);
    expect(seen).not.toContain(inRead);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('pages 50 by default and at most 200; limit and cursor out of bounds are a 400 naming the field', async () => {
    await h.pool.query('DELETE FROM integrations WHERE created_at >= $1', [FUTURE]);
    const ids = await Promise.all(Array.from({ length: 52 }, (_, k) => at(1000 + k)));
    const first = await page('');
    expect(first.integrations).toHaveLength(50);
    expect(first.integrations[0]!.id).toBe(ids.at(-1));
    expect(first.nextCursor).not.toBeNull();
    expect((await page('?limit=200')).integrations.length).toBeGreaterThanOrEqual(52);
    expect((await page('?limit=1')).integrations).toHaveLength(1);

    expectBad(await api.call('GET', '/v1/integrations?limit=201'), 'limit');
    expectBad(await api.call('GET', '/v1/integrations?limit=0'), 'limit');
    expectBad(await api.call('GET', '/v1/integrations?limit=ten'), 'limit');
    for (const cursor of [
      'not a cursor',
      'bm90LWpzb24', // base64url of "not-json"
      Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000000Z', 'not-a-uuid'])).toString('base64url'),
      Buffer.from(JSON.stringify(['2026-01-01T00:00:00Z', randomUUID()])).toString('base64url'),
      Buffer.from(JSON.stringify({ createdAt: '2026-01-01T00:00:00.000000Z', id: randomUUID() })).toString('base64url'),
    ]) {
      const res = await api.call('GET', `/v1/integrations?cursor=${encodeURIComponent(cursor)}`);
      expectBad(res, 'cursor');
      expect(res.json<{ message: string }>().message).toMatch(/cursor/);
    }
    expectBad(await api.call('GET', '/v1/integrations?page=2'), 'page');
    // A well-formed cursor past every row is simply the empty last page.
    const past = await page(`?cursor=${encodeListCursor({ createdAt: '1970-01-01T00:00:00.000000Z', id: randomUUID() })}`);
    expect(past).toEqual({ integrations: [], nextCursor: null });
  });

  it("the CLI's client follows nextCursor through every page, or stops at --limit", async () => {
    await h.pool.query('DELETE FROM integrations WHERE created_at >= $1', [FUTURE]);
    const ids = await Promise.all(Array.from({ length: 7 }, (_, k) => at(2000 + k)));
    const requested: string[] = [];
    // The client's fetch, answered by the real API in this process.
    const viaInject: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : input);
      requested.push(url.search);
      const res = await api.call(init?.method ?? 'GET', url.pathname + url.search);
      return new Response(res.body, { status: res.statusCode, headers: { 'content-type': 'application/json' } });
    };
    const client = new ApiClient({ baseUrl: 'http://api.test', token: TOKEN, fetch: viaInject });
    const capped = await client.listAllIntegrations(5);
    expect(capped.integrations.map((i) => i.id)).toEqual([...ids].reverse().slice(0, 5));
    expect(capped.nextCursor).not.toBeNull();
    // Continuing from where --limit stopped gives the next ones.
    const rest = await client.listIntegrations({ limit: 2, cursor: capped.nextCursor! });
    expect(rest.integrations.map((i) => i.id)).toEqual([...ids].reverse().slice(5, 7));

    requested.length = 0;
    const all = await client.listAllIntegrations();
    expect(all.nextCursor).toBeNull();
    expect(all.integrations.slice(0, 7).map((i) => i.id)).toEqual([...ids].reverse());
    const total = Number((await h.pool.query('SELECT count(*) FROM integrations')).rows[0].count);
    expect(all.integrations).toHaveLength(total);
    expect(new Set(all.integrations.map((i) => i.id)).size).toBe(total);
    expect(requested).toHaveLength(Math.max(1, Math.ceil(total / 200)));
    expect(requested[0]).toBe('?limit=200');
  });

  it("shows each listed integration's schedule state, read for the page in one go", async () => {
    await h.pool.query('DELETE FROM integrations WHERE created_at >= $1', [FUTURE]);
    const body = (enabled: boolean) => ({
      appId: randomUUID(),
      endpointUrl: h.env.LOCAL_S3_ENDPOINT,
      bucket: h.bucket,
      folder: `pages-${randomUUID().slice(0, 8)}`,
      accessKeyId: h.env.LOCAL_S3_ACCESS_KEY_ID,
      secretAccessKey: h.env.LOCAL_S3_SECRET_ACCESS_KEY,
      enabled,
    });
    const ids: string[] = [];
    for (const enabled of [true, false]) {
      const res = await api.call('POST', '/v1/integrations', body(enabled));
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json().id);
      schedules.push(res.json().id);
    }
    const rowOnly = (await h.integration()).id;
    const [on, off] = ids as [string, string];
    const listed = await waitFor(
      async () => {
        const p = await page('?limit=3');
        const byId = new Map(p.integrations.map((i) => [i.id, i.schedule as { paused: boolean; nextRunTimes: string[] } | null]));
        return byId.get(on)?.paused === false && byId.get(off)?.paused === true && byId;
      },
      15_000,
      'both schedules listed with their pause state',
    );
    expect(listed.get(on)!.nextRunTimes[0]).toMatch(/T04:00:00\.000Z$/);
    expect(listed.get(rowOnly)).toBeNull();
    // Changed long ago (past the visibility grace): a schedule comes from the list alone, and one the list
    // does not have is null without a describe of its own.
    await h.pool.query(`UPDATE integrations SET updated_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[])`, [[on, off, rowOnly]]);
    const old = new Map((await page('?limit=3')).integrations.map((i) => [i.id, i.schedule as { paused: boolean } | null]));
    expect(old.get(on)?.paused).toBe(false);
    expect(old.get(off)?.paused).toBe(true);
    expect(old.get(rowOnly)).toBeNull();
  });
});
