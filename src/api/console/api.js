// The console's one way to the API: the bearer token from this tab, JSON in and out, and the API's own
// error shape ({ error, message, details: [{ field, rule }] }) kept whole so forms can place each
// detail next to the field it names.

// The calendar's key: moving between the two pages in one tab keeps the token.
const TOKEN_KEY = 'ua-export.calendar.token';

export class ApiFailure extends Error {
  constructor(status, body) {
    super(body?.message ?? `the API answered ${status}`);
    this.status = status;
    this.code = body?.error ?? null;
    this.details = Array.isArray(body?.details) ? body.details : [];
  }
}

export const readToken = () => sessionStorage.getItem(TOKEN_KEY);
export const storeToken = (token) => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

/** `onUnauthorized` runs on a 401, so the page can ask for another token. */
export function createApi(token, onUnauthorized) {
  async function call(method, path, body) {
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await res.json().catch(() => null);
    if (res.status === 401) onUnauthorized();
    if (!res.ok) throw new ApiFailure(res.status, data);
    return data;
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body = {}) => call('POST', path, body),
    patch: (path, body) => call('PATCH', path, body),
    del: (path) => call('DELETE', path),
  };
}

/**
 * Every integration: the list may come in pages (`nextCursor`, when the API paginates); a response
 * without it is the whole list.
 */
export async function listIntegrations(api) {
  const all = [];
  let cursor = null;
  do {
    const page = await api.get(`/v1/integrations${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    all.push(...page.integrations);
    cursor = page.nextCursor ?? null;
  } while (cursor);
  return all;
}

/** What went wrong, in one sentence for a status line. */
export const describeFailure = (err) => (err instanceof Error ? err.message : String(err));
