import type {
  ApiErrorBody,
  BackfillListView,
  BackfillStartedView,
  BackfillView,
  CancelBackfillView,
  PauseBackfillView,
  CreateIntegrationRequest,
  PatchIntegrationRequest,
  EventTypeCatalogView,
  ExportsView,
  IntegrationListView,
  IntegrationView,
  ScheduleView,
  StartBackfillRequest,
  TestConnectionView,
  TriggerView,
  ResumeView,
  AlertTestView,
} from './types.js';

/**
 * A small typed client for the ua-export HTTP API over the global fetch. Every failure becomes either
 * an `ApiRequestError` (the API answered 4xx/5xx; its `{ error, message, details }` body kept) or a
 * `CliError` (the API could not be reached, or answered something that is not the API).
 */

/** A failure the CLI reports as one message and an exit code (2 unless said otherwise). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
    /** A network-level failure (refused, reset, DNS, timeout): worth retrying while watching. */
    readonly unreachable = false,
  ) {
    super(message);
  }
}

/** The API answered with an error status. */
export class ApiRequestError extends Error {
  override name = 'ApiRequestError';
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
    /** The body as received, for `--json`. */
    readonly raw: unknown,
    readonly method: string,
    readonly path: string,
  ) {
    super(body.message);
  }

  /** 502, 503, 504 or 429: worth retrying while watching. */
  get transient(): boolean {
    return this.status === 429 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

/** Cancelled by the caller's signal (Ctrl-C while watching). */
export class RequestAborted extends Error {
  override name = 'RequestAborted';
}

export interface ApiClientOptions {
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  /** Per request; default 60 s (test-connection and deletes can take a while). */
  timeoutMs?: number;
  userAgent?: string;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
}

/** The most integrations GET /v1/integrations returns per page (INTEGRATION_PAGE_MAX in the API's schema). */
const INTEGRATION_PAGE_MAX = 200;

const unreachable = (message: string) => new CliError(message, 2, true);

function causeText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

function asErrorBody(status: number, statusText: string, parsed: unknown, text: string): ApiErrorBody {
  const p = parsed as Partial<ApiErrorBody> | null;
  if (p && typeof p === 'object' && typeof p.message === 'string') {
    return {
      error: typeof p.error === 'string' ? p.error : `http_${status}`,
      message: p.message,
      details: Array.isArray(p.details) ? p.details.filter((d) => d && typeof d.field === 'string' && typeof d.rule === 'string') : [],
      ...(typeof p.requestId === 'string' ? { requestId: p.requestId } : {}),
    };
  }
  const snippet = text.trim().replace(/\s+/g, ' ').slice(0, 200);
  return { error: `http_${status}`, message: `HTTP ${status} ${statusText}${snippet ? `: ${snippet}` : ''}`, details: [] };
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly userAgent: string;

  constructor(opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.userAgent = opts.userAgent ?? 'ua-export-cli';
  }

  url(path: string, query?: RequestOptions['query']): string {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = this.url(path, opts.query);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${this.token}`, 'user-agent': this.userAgent };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchFn(url, { method, headers, signal, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
    } catch (err) {
      if (opts.signal?.aborted) throw new RequestAborted('request cancelled');
      if (timeout.aborted) throw unreachable(`the API at ${this.baseUrl} did not answer ${method} ${path} within ${Math.round(this.timeoutMs / 1000)} s`);
      throw unreachable(`cannot reach the API at ${this.baseUrl} (${causeText(err)}): is it running? Set --api-url or UA_EXPORT_API_URL`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      if (opts.signal?.aborted) throw new RequestAborted('request cancelled');
      throw unreachable(`the API at ${this.baseUrl} broke off its answer to ${method} ${path} (${causeText(err)})`);
    }
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) throw new ApiRequestError(res.status, asErrorBody(res.status, res.statusText, parsed, text), parsed ?? text, method, path);
    if (parsed === undefined)
      throw new CliError(
        `the API at ${this.baseUrl} answered ${method} ${path} with something that is not JSON (HTTP ${res.status}): is --api-url the ua-export API?`,
      );
    return parsed as T;
  }

  // One method per route the CLI uses (src/api/routes/**).

  eventTypes(): Promise<EventTypeCatalogView> {
    return this.request('GET', '/v1/event-types');
  }

  /** One page of integrations, newest first (GET /v1/integrations): pass the previous page's nextCursor. */
  listIntegrations(page: { limit?: number; cursor?: string } = {}): Promise<IntegrationListView> {
    return this.request('GET', '/v1/integrations', { query: { limit: page.limit, cursor: page.cursor } });
  }

  /**
   * Integrations across pages, following nextCursor: every one, or the first `max`. The answer has the
   * API's shape, with `nextCursor` where a caller would go on (null when none are left).
   */
  async listAllIntegrations(max?: number): Promise<IntegrationListView> {
    const integrations: IntegrationListView['integrations'] = [];
    let cursor: string | undefined;
    for (;;) {
      const want = max === undefined ? INTEGRATION_PAGE_MAX : Math.min(INTEGRATION_PAGE_MAX, max - integrations.length);
      const page = await this.listIntegrations({ limit: want, ...(cursor !== undefined ? { cursor } : {}) });
      integrations.push(...page.integrations);
      // An API from before pagination sends no nextCursor: its one answer is the whole list. A cursor
      // that does not move, or an empty page, ends the walk too rather than looping on it.
      const next = page.nextCursor ?? null;
      const done = next === null || next === cursor || page.integrations.length === 0 || (max !== undefined && integrations.length >= max);
      if (done) return { integrations, nextCursor: next };
      cursor = next;
    }
  }

  getIntegration(id: string): Promise<IntegrationView> {
    return this.request('GET', `/v1/integrations/${seg(id)}`);
  }

  createIntegration(body: CreateIntegrationRequest): Promise<IntegrationView> {
    return this.request('POST', '/v1/integrations', { body });
  }

  setIntegrationEnabled(id: string, enabled: boolean): Promise<IntegrationView> {
    return this.request('PATCH', `/v1/integrations/${seg(id)}`, { body: { enabled } });
  }

  patchIntegration(id: string, body: PatchIntegrationRequest): Promise<IntegrationView> {
    return this.request('PATCH', `/v1/integrations/${seg(id)}`, { body });
  }

  testConnection(id: string): Promise<TestConnectionView> {
    return this.request('POST', `/v1/integrations/${seg(id)}/test-connection`, { body: {} });
  }

  startBackfill(integrationId: string, body: StartBackfillRequest): Promise<BackfillStartedView> {
    return this.request('POST', `/v1/integrations/${seg(integrationId)}/backfills`, { body });
  }

  getBackfill(integrationId: string, backfillId: string, signal?: AbortSignal): Promise<BackfillView> {
    return this.request('GET', `/v1/integrations/${seg(integrationId)}/backfills/${seg(backfillId)}`, signal ? { signal } : {});
  }

  listBackfills(integrationId: string, limit?: number): Promise<BackfillListView> {
    return this.request('GET', `/v1/integrations/${seg(integrationId)}/backfills`, { query: { limit } });
  }

  cancelBackfill(integrationId: string, backfillId: string): Promise<CancelBackfillView> {
    return this.request('DELETE', `/v1/integrations/${seg(integrationId)}/backfills/${seg(backfillId)}`);
  }

  /** POST …/backfills/:backfillId/pause or …/resume. */
  setBackfillPaused(integrationId: string, backfillId: string, paused: boolean): Promise<PauseBackfillView> {
    return this.request('POST', `/v1/integrations/${seg(integrationId)}/backfills/${seg(backfillId)}/${paused ? 'pause' : 'resume'}`);
  }

  getSchedule(integrationId: string): Promise<ScheduleView> {
    return this.request('GET', `/v1/integrations/${seg(integrationId)}/schedule`);
  }

  pauseSchedule(integrationId: string, note?: string): Promise<ScheduleView> {
    return this.request('POST', `/v1/integrations/${seg(integrationId)}/schedule/pause`, { body: note !== undefined ? { note } : {} });
  }

  resumeSchedule(integrationId: string, note?: string, catchUp?: boolean): Promise<ResumeView> {
    return this.request('POST', `/v1/integrations/${seg(integrationId)}/schedule/resume`, {
      body: { ...(note !== undefined ? { note } : {}), ...(catchUp ? { catchUp: true } : {}) },
    });
  }

  testAlerts(id: string): Promise<AlertTestView> {
    return this.request('POST', `/v1/integrations/${seg(id)}/alerts/test`, { body: {} });
  }

  triggerSchedule(integrationId: string): Promise<TriggerView> {
    return this.request('POST', `/v1/integrations/${seg(integrationId)}/schedule/trigger`, { body: {} });
  }

  exports(integrationId: string, query: { from?: string; to?: string; table?: string }): Promise<ExportsView> {
    return this.request('GET', `/v1/integrations/${seg(integrationId)}/exports`, { query });
  }
}

const seg = (s: string) => encodeURIComponent(s);

/**
 * An API error as lines for stderr: the message, then one line per `{ field, rule }` problem, then
 * a hint where one helps (401: the token; 5xx: the request id for the server logs).
 */
export function formatApiError(err: ApiRequestError): string[] {
  const { body, status } = err;
  const problems = body.details.map((d) => `${d.field}: ${d.rule}`);
  let message = body.message;
  // The API's message repeats the problems after a colon ("request is invalid: from: …; to: …"): once is enough.
  const joined = problems.join('; ');
  if (joined && message.endsWith(`: ${joined}`)) message = message.slice(0, -(joined.length + 2));
  const lines = [`error: ${message} (HTTP ${status}${body.error ? ` ${body.error}` : ''})`];
  for (const p of problems) lines.push(`  ${p}`);
  if (status === 401) lines.push('  hint: pass --token or set UA_EXPORT_TOKEN (or API_TOKENS) to a token the API accepts');
  if (status >= 500 && body.requestId) lines.push(`  request id: ${body.requestId} (find it in the API's logs)`);
  return lines;
}
