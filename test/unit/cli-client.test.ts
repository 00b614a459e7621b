import { describe, expect, it } from 'vitest';
import { ApiClient, ApiRequestError, CliError, formatApiError, RequestAborted } from '../../src/cli/client.js';

type Call = { method: string; url: string; headers: Record<string, string>; body: unknown };

function fakeFetch(respond: (call: Call) => Response | Promise<Response>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fn = async (input: string | URL | Request, init?: RequestInit) => {
    const call: Call = {
      method: init?.method ?? 'GET',
      url: input instanceof Request ? input.url : String(input),
      headers: (init?.headers ?? {}) as Record<string, string>,
      // ApiClient sends JSON.stringify's output.
      body: init?.body ? JSON.parse(init.body as string) : undefined,
    };
    calls.push(call);
    return respond(call);
  };
  return { fetch: fn, calls };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('ApiClient', () => {
  it('sends the bearer token and JSON, encodes path segments, drops undefined query values', async () => {
    const f = fakeFetch(() => json(200, { ok: true }));
    const c = new ApiClient({ baseUrl: 'http://api.test:3000/', token: 'tok', fetch: f.fetch });
    await c.startBackfill('i-1', { from: '2026-05-01', to: '2026-05-02' });
    await c.getBackfill('i-1', 'ua-backfill-x/../y');
    await c.exports('i-1', { from: '2026-05-01' });
    await c.listBackfills('i-1');
    expect(f.calls[0]).toMatchObject({
      method: 'POST',
      url: 'http://api.test:3000/v1/integrations/i-1/backfills',
      headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
      body: { from: '2026-05-01', to: '2026-05-02' },
    });
    expect(f.calls[1]!.url).toBe('http://api.test:3000/v1/integrations/i-1/backfills/ua-backfill-x%2F..%2Fy');
    expect(f.calls[2]!.url).toBe('http://api.test:3000/v1/integrations/i-1/exports?from=2026-05-01');
    expect(f.calls[3]!.url).toBe('http://api.test:3000/v1/integrations/i-1/backfills');
  });

  it('keeps a base path (an API behind a proxy prefix)', async () => {
    const f = fakeFetch(() => json(200, { integrations: [] }));
    await new ApiClient({ baseUrl: 'https://ops.example.com/ua', token: 't', fetch: f.fetch }).listIntegrations();
    expect(f.calls[0]!.url).toBe('https://ops.example.com/ua/v1/integrations');
  });

  it("turns an error answer into ApiRequestError with the API's body", async () => {
    const body = { error: 'validation_failed', message: 'request is invalid: from: bad', details: [{ field: 'from', rule: 'bad' }], requestId: 'r1' };
    const c = new ApiClient({ baseUrl: 'http://x', token: 't', fetch: fakeFetch(() => json(400, body)).fetch });
    const err = await c.listIntegrations().catch((e) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect(err.status).toBe(400);
    expect(err.body).toEqual(body);
    expect(err.raw).toEqual(body);
    expect(err.transient).toBe(false);
  });

  it('describes a non-API error page by status and a snippet', async () => {
    const c = new ApiClient({
      baseUrl: 'http://x',
      token: 't',
      fetch: fakeFetch(() => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })).fetch,
    });
    const err = (await c.listIntegrations().catch((e) => e)) as ApiRequestError;
    expect(err.body.message).toBe('HTTP 502 Bad Gateway: <html>Bad gateway</html>');
    expect(err.transient).toBe(true);
  });

  it('says when the API cannot be reached, or answers with something that is not JSON', async () => {
    const refused = fakeFetch(() => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    });
    const err = (await new ApiClient({ baseUrl: 'http://127.0.0.1:9', token: 't', fetch: refused.fetch }).listIntegrations().catch((e) => e)) as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(err.unreachable).toBe(true);
    expect(err.message).toMatch(/cannot reach the API at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
    const html = fakeFetch(() => new Response('<html></html>', { status: 200 }));
    await expect(new ApiClient({ baseUrl: 'http://x', token: 't', fetch: html.fetch }).listIntegrations()).rejects.toThrow(/not JSON/);
  });

  it('reports a caller abort as RequestAborted', async () => {
    const ac = new AbortController();
    const hanging = fakeFetch(
      () =>
        new Promise<Response>((_, reject) => {
          ac.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    );
    const p = new ApiClient({ baseUrl: 'http://x', token: 't', fetch: hanging.fetch }).getBackfill('i', 'b', ac.signal);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(RequestAborted);
  });
});

describe('formatApiError', () => {
  const e = (status: number, body: Record<string, unknown>) => new ApiRequestError(status, { details: [], ...body } as never, body, 'GET', '/v1/x');

  it('prints the message once and one line per problem', () => {
    const lines = formatApiError(
      e(400, {
        error: 'validation_failed',
        message: 'request is invalid: from: must be a real calendar day; to: must be before today',
        details: [
          { field: 'from', rule: 'must be a real calendar day' },
          { field: 'to', rule: 'must be before today' },
        ],
      }),
    );
    expect(lines).toEqual(['error: request is invalid (HTTP 400 validation_failed)', '  from: must be a real calendar day', '  to: must be before today']);
  });

  it('hints at the token on 401 and gives the request id on 5xx', () => {
    expect(formatApiError(e(401, { error: 'unauthorized', message: 'no' })).join('\n')).toMatch(/hint: pass --token or set UA_EXPORT_TOKEN/);
    expect(formatApiError(e(500, { error: 'internal_error', message: 'internal', requestId: 'req-9' })).join('\n')).toMatch(/request id: req-9/);
  });
});
