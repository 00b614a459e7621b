// The export calendar page: plain ES module, no framework, no build step.
// Data comes from the API with the bearer token the user gave (URL fragment or the form), which is
// kept in sessionStorage for this tab only and never put in a URL the server sees.
//   GET  /v1/calendar?cursor                        day codes of every integration, a page at a time (overview strips)
//   GET  /v1/integrations/:id/exports?from&to       one integration's ledger (month grid)
//   GET  /v1/integrations/:id/files/:table/:day     a 5-minute presigned link to a day's file
//   POST /v1/integrations/:id/backfills {from,to}   one per run of consecutive selected days

import { addDays, dayCount, formatBytes, formatCount } from '../shared/format.js';

const TOKEN_KEY = 'ua-export.calendar.token';
const TABLE_ORDER = ['ua_events', 'campaign_metrics'];

/** The five day states: the API's one-letter code, what the page shows, and the strip colour. */
const STATES = {
  x: { name: 'exported', letter: 'X', rgb: [0x00, 0x9e, 0x73] },
  e: { name: 'empty', letter: 'E', rgb: [0x56, 0xb4, 0xe9] },
  f: { name: 'failed', letter: 'F', rgb: [0xd5, 0x5e, 0x00] },
  r: { name: 'running', letter: 'R', rgb: [0xcc, 0x79, 0xa7] },
  m: { name: 'missing', letter: 'M', rgb: [0xcf, 0xcf, 0xcf] },
};

// One 32-bit RGBA pixel per code character, so a strip is drawn with one typed-array pass.
const PIXEL = new Uint32Array(128);
for (const [code, s] of Object.entries(STATES)) {
  const [r, g, b] = s.rgb;
  PIXEL[code.charCodeAt(0)] = ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}
const MISSING_PIXEL = PIXEL['m'.charCodeAt(0)];

/**
 * Integrations per GET /v1/calendar request: the API's default, unless the page's address says
 * `/calendar?limit=N` (the API checks N), which lets a test walk many pages of a few integrations.
 */
const PAGE_LIMIT = new URLSearchParams(location.search).get('limit');

const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  /** GET /v1/calendar's answer, every page's integrations in one list. */
  overview: null,
  /** The integrations currently listed (filtered and sorted), in row order. */
  listed: [],
  /** The open integration: { integration, days: [{ day, code, entries }], byDay: Map }. */
  detail: null,
  selected: new Set(),
  anchor: null,
  focusDay: null,
  pollTimer: null,
  pollUntil: 0,
  watched: new Set(),
};

/** Timings for tests and the benchmark. */
const metrics = {};
window.__calendar = { metrics };

// ---------------------------------------------------------------------------------------------
// Formatting and days

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const thousands = (n) => n.toLocaleString('en-US');
const dayMs = (day) => Date.parse(`${day}T00:00:00Z`);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function countCodes(codes) {
  const c = { x: 0, e: 0, f: 0, r: 0, m: 0 };
  for (let i = 0; i < codes.length; i++) c[codes[i]]++;
  return c;
}

/** A day's state from its ledger entries, by the same rules as the server's calendar codes. */
function dayCode(entries) {
  if (entries.some((e) => e.status === 'running')) return 'r';
  if (entries.some((e) => e.status === 'failed')) return 'f';
  if (entries.some((e) => e.status !== 'succeeded')) return 'm';
  return entries.reduce((s, e) => s + (e.rows ?? 0), 0) === 0 ? 'e' : 'x';
}

// ---------------------------------------------------------------------------------------------
// API

class ApiFailure extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

async function api(path, init = {}) {
  const headers = { authorization: `Bearer ${state.token}`, accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { ...init, headers, cache: 'no-store' });
  const body = await res.json().catch(() => null);
  if (res.status === 401) {
    forgetToken();
    showLogin('The API refused this token: enter a valid one.');
    throw new ApiFailure(401, 'unauthorized', body);
  }
  if (!res.ok) throw new ApiFailure(res.status, body?.message ?? `${res.status} ${res.statusText}`, body);
  return body;
}

function setStatus(text, isError = false) {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

function reportError(err, what) {
  if (err instanceof ApiFailure && err.status === 401) return;
  setStatus(`${what}: ${err instanceof Error ? err.message : String(err)}`, true);
}

// ---------------------------------------------------------------------------------------------
// Token

/** Takes `token` out of the fragment (into sessionStorage) and returns the fragment's other fields. */
function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    params.delete('token');
  }
  // Never leave the token in the address bar or the history.
  if (token) history.replaceState(null, '', location.pathname + location.search + (params.toString() ? `#${params}` : ''));
  return params;
}

function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  $('signout').hidden = true;
}

function showLogin(message) {
  $('login').hidden = false;
  $('overview').hidden = true;
  $('detail').hidden = true;
  if (message) $('login-message').textContent = message;
  setStatus('');
  $('token').focus();
}

// ---------------------------------------------------------------------------------------------
// Overview: one canvas strip per integration, one pixel per day

async function loadOverview() {
  const q = new URLSearchParams();
  if ($('from').value) q.set('from', $('from').value);
  if ($('to').value) q.set('to', $('to').value);
  setStatus('Loading…');
  const started = performance.now();
  // Every page before drawing: the filter and the sorts by failed or missing days work on the whole list.
  // Later pages keep the range the first one answered, so every strip covers the same days.
  if (PAGE_LIMIT) q.set('limit', PAGE_LIMIT);
  const data = await api(`/v1/calendar${q.toString() ? `?${q}` : ''}`);
  metrics.pages = 1;
  for (let next = data.nextCursor; next; metrics.pages++) {
    setStatus(`Loading… ${thousands(data.integrations.length)} integrations so far`);
    const more = await api(`/v1/calendar?${new URLSearchParams({ from: data.from, to: data.to, ...(PAGE_LIMIT ? { limit: PAGE_LIMIT } : {}), cursor: next })}`);
    data.integrations.push(...more.integrations);
    next = more.nextCursor;
  }
  metrics.fetchMs = Math.round(performance.now() - started);
  state.overview = data;
  for (const it of data.integrations) it.counts = countCodes(it.codes);
  $('from').value = data.from;
  $('to').value = data.to;
  $('login').hidden = true;
  $('overview').hidden = false;
  $('signout').hidden = false;
  renderWorkerBanner(data.worker);
  renderOverview();
}

/** Nothing runs or finishes while no worker polls: say so above everything else. */
function renderWorkerBanner(worker) {
  const el = $('worker-banner');
  if (!worker || worker.polling) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  const since = worker.lastAccessTime ? ` since ${worker.lastAccessTime.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}` : '';
  el.textContent = `No worker is polling task queue ${worker.taskQueue}${since}: exports and backfills wait (R days make no progress) until a worker starts.`;
  el.hidden = false;
}

function listedIntegrations() {
  const words = $('filter').value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const list = state.overview.integrations.filter((it) => {
    if (words.length === 0) return true;
    const hay = `${it.appId} ${it.id} ${it.bucket} ${it.folder}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
  const sort = $('sort').value;
  const by = (k) => (a, b) => b.counts[k] - a.counts[k] || a.appId.localeCompare(b.appId);
  if (sort === 'failed') list.sort(by('f'));
  else if (sort === 'missing') list.sort(by('m'));
  return list;
}

function countsHtml(c) {
  const parts = [];
  if (c.f > 0) parts.push(`<span class="nf">${thousands(c.f)} failed</span>`);
  if (c.m > 0) parts.push(`${thousands(c.m)} missing`);
  if (c.r > 0) parts.push(`${thousands(c.r)} running`);
  if (parts.length === 0) return '<span class="ok">all exported</span>';
  return parts.join(' · ');
}

function rowTitle(it) {
  return `${it.appId}\nintegration ${it.id}\n${it.bucket}${it.folder ? ` / ${it.folder}` : ''}${it.enabled ? '' : '\n(disabled)'}`;
}

function renderOverview() {
  const started = performance.now();
  const { from, to } = state.overview;
  const n = dayCount(from, to);
  const list = listedIntegrations();
  state.listed = list;
  renderAxis(from, to);
  let html = '';
  const openId = state.detail?.integration.id;
  for (const it of list) {
    html +=
      `<div class="row${it.enabled ? '' : ' disabled'}${it.id === openId ? ' open' : ''}" data-id="${esc(it.id)}">` +
      `<button type="button" class="name" title="${esc(rowTitle(it))}">${esc(it.appId)}</button>` +
      `<canvas width="${n}" height="1" role="img" aria-label="${esc(`${it.appId}: ${it.counts.x} exported, ${it.counts.e} empty, ${it.counts.f} failed, ${it.counts.r} running, ${it.counts.m} missing`)}"></canvas>` +
      `<span class="counts">${it.autoPaused ? `<span class="nf" title="${esc(it.autoPaused.reason)}">auto-paused since ${esc(it.autoPaused.since)}</span> · ` : ''}${countsHtml(it.counts)}</span></div>`;
  }
  const rows = $('rows');
  rows.innerHTML = html;
  const canvases = rows.getElementsByTagName('canvas');
  for (let i = 0; i < list.length; i++) drawStrip(canvases[i], list[i].codes);
  const rendered = performance.now();
  metrics.overviewRenderMs = Math.round((rendered - started) * 10) / 10;
  metrics.rows = list.length;
  metrics.days = n;
  const totals = { f: 0, m: 0 };
  for (const it of list) {
    totals.f += it.counts.f;
    totals.m += it.counts.m;
  }
  const shown =
    list.length === state.overview.integrations.length
      ? `${thousands(list.length)} integrations`
      : `${thousands(list.length)} of ${thousands(state.overview.integrations.length)} integrations`;
  const summary = `${shown} · ${thousands(n)} days (${from} → ${to}) · ${thousands(totals.f)} failed and ${thousands(totals.m)} missing days`;
  setStatus(`${summary} · loaded in ${metrics.fetchMs} ms, drawn in ${Math.round(metrics.overviewRenderMs)} ms`);
  // Until the next frame is on screen: layout and paint of every strip included.
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      metrics.overviewPaintMs = Math.round((performance.now() - started) * 10) / 10;
      document.body.dataset.overview = 'drawn';
    }),
  );
}

function drawStrip(canvas, codes) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(codes.length, 1);
  const px = new Uint32Array(img.data.buffer);
  for (let i = 0; i < codes.length; i++) px[i] = PIXEL[codes.charCodeAt(i)] || MISSING_PIXEL;
  ctx.putImageData(img, 0, 0);
}

function renderAxis(from, to) {
  const axis = $('axis');
  const n = dayCount(from, to);
  const width = axis.clientWidth || 800;
  // Built as elements with CSSOM positions: the page's CSP allows no inline style attributes.
  const labels = [];
  let lastPx = -Infinity;
  const first = new Date(dayMs(from));
  let y = first.getUTCFullYear();
  let m = first.getUTCMonth();
  if (first.getUTCDate() !== 1) m++;
  for (;;) {
    if (m === 12) {
      m = 0;
      y++;
    }
    const day = `${y}-${String(m + 1).padStart(2, '0')}-01`;
    if (day > to) break;
    const idx = dayCount(from, day) - 1;
    const px = (idx / n) * width;
    if (px - lastPx >= 30) {
      const span = document.createElement('span');
      span.textContent = m === 0 ? String(y) : MONTHS[m];
      if (m === 0) span.className = 'year';
      span.style.left = `${((idx / n) * 100).toFixed(3)}%`;
      labels.push(span);
      lastPx = px;
    }
    m++;
  }
  axis.replaceChildren(...labels);
}

/** The day under the pointer on a strip. */
function stripDay(canvas, clientX) {
  const rect = canvas.getBoundingClientRect();
  const n = canvas.width;
  const idx = Math.min(n - 1, Math.max(0, Math.floor(((clientX - rect.left) / rect.width) * n)));
  return { idx, day: addDays(state.overview.from, idx) };
}

function integrationById(id) {
  return state.overview?.integrations.find((it) => it.id === id) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Detail: one integration's days as a month grid

async function openDetail(id, focusDay) {
  const it = integrationById(id);
  if (!it) return;
  const switching = state.detail?.integration.id !== id;
  if (switching) {
    state.selected.clear();
    state.anchor = null;
    state.focusDay = null;
    state.watched.clear();
    $('backfill-results').innerHTML = '';
    stopPolling();
  }
  state.detail = { integration: it, days: [], byDay: new Map() };
  for (const row of $('rows').querySelectorAll('.row.open')) row.classList.remove('open');
  $('rows')
    .querySelector(`.row[data-id="${CSS.escape(id)}"]`)
    ?.classList.add('open');
  $('detail').hidden = false;
  $('detail-title').textContent = `App ${it.appId}`;
  $('detail-meta').textContent =
    `integration ${it.id} · ${it.bucket}${it.folder ? ` / ${it.folder}` : ''} · ${it.enabled ? 'enabled' : 'disabled: enable it before backfilling'}` +
    (it.autoPaused ? ` · schedule auto-paused since ${it.autoPaused.since}: ${it.autoPaused.reason} (resume with catch-up)` : '');
  $('detail-console').href = `/console#integration=${encodeURIComponent(it.id)}`;
  $('months').innerHTML = '<p class="muted">Loading the ledger…</p>';
  $('day-info').innerHTML = '<p class="muted">No day selected.</p>';
  history.replaceState(null, '', `${location.pathname}${location.search}#integration=${encodeURIComponent(id)}`);
  $('detail').scrollIntoView({ block: 'start' });
  try {
    await loadDetail();
  } catch (err) {
    reportError(err, 'Could not load the ledger');
    return;
  }
  if (focusDay) {
    showDay(focusDay);
    document.querySelector(`.day[data-day="${focusDay}"]`)?.scrollIntoView({ block: 'center' });
  }
}

function closeDetail() {
  stopPolling();
  state.detail = null;
  state.selected.clear();
  $('detail').hidden = true;
  for (const row of $('rows').querySelectorAll('.row.open')) row.classList.remove('open');
  history.replaceState(null, '', location.pathname + location.search);
}

async function loadDetail() {
  const d = state.detail;
  if (!d) return;
  const id = d.integration.id;
  const { from, to } = state.overview;
  const started = performance.now();
  const ledger = await api(`/v1/integrations/${encodeURIComponent(id)}/exports?from=${from}&to=${to}`);
  if (state.detail !== d) return; // closed or switched meanwhile
  const byDay = new Map();
  for (const e of ledger.entries) {
    let list = byDay.get(e.day);
    if (!list) byDay.set(e.day, (list = []));
    list.push(e);
  }
  d.days = [];
  d.byDay = new Map();
  for (const [day, entries] of byDay) {
    entries.sort((a, b) => TABLE_ORDER.indexOf(a.table) - TABLE_ORDER.indexOf(b.table));
    const rec = {
      day,
      entries,
      code: dayCode(entries),
      rows: entries.reduce((s, e) => s + (e.rows ?? 0), 0),
      bytes: entries.reduce((s, e) => s + (e.bytes ?? 0), 0),
    };
    d.days.push(rec);
    d.byDay.set(day, rec);
  }
  // A selected day that is no longer missing or failed (a backfill got to it) drops out of the selection.
  for (const day of [...state.selected]) if (!isSelectable(d.byDay.get(day))) state.selected.delete(day);
  renderMonths();
  metrics.detailRenderMs = Math.round((performance.now() - started) * 10) / 10;
  syncOverviewRow(d);
  if (state.focusDay) showDay(state.focusDay);
  updateSelectionUi();
}

/** Keeps the integration's strip in step with what the ledger just said. */
function syncOverviewRow(d) {
  const it = d.integration;
  const codes = d.days.map((r) => r.code).join('');
  if (codes.length !== it.codes.length || codes === it.codes) return;
  it.codes = codes;
  it.counts = countCodes(codes);
  const row = $('rows').querySelector(`.row[data-id="${CSS.escape(it.id)}"]`);
  if (!row) return;
  drawStrip(row.querySelector('canvas'), codes);
  row.querySelector('.counts').innerHTML = countsHtml(it.counts);
}

function isSelectable(rec) {
  return !!rec && (rec.code === 'm' || rec.code === 'f') && rec.day < state.overview.today;
}

function cellTitle(rec) {
  const lines = [`${rec.day} · ${STATES[rec.code].name}`];
  for (const e of rec.entries) {
    let line = `${e.table}: ${e.status}`;
    if (e.rows !== null) line += ` · ${thousands(e.rows)} rows`;
    if (e.bytes !== null) line += ` · ${formatBytes(e.bytes)}`;
    if (e.error) line += ` · ${e.error.split('\n')[0].slice(0, 160)}`;
    lines.push(line);
  }
  if (isSelectable(rec)) lines.push('Click to select for a backfill');
  return lines.join('\n');
}

function cellHtml(rec) {
  const s = STATES[rec.code];
  const selectable = isSelectable(rec);
  const selected = state.selected.has(rec.day);
  let n = '';
  let b = '';
  if (rec.code === 'x' || rec.code === 'e') {
    n = `${formatCount(rec.rows)} rows`;
    b = formatBytes(rec.bytes);
  } else if (rec.code === 'm') {
    const done = rec.entries.filter((e) => e.status === 'succeeded').length;
    // Plain missing days say so by letter and hatch; a partly exported day says how far it got.
    if (done > 0) n = `${done}/${rec.entries.length} tables`;
  } else {
    n = s.name;
  }
  const cls = `day s-${rec.code}${selectable ? ' selectable' : ''}${selected ? ' selected' : ''}${rec.day === state.focusDay ? ' focus' : ''}`;
  return (
    `<button type="button" class="${cls}" data-day="${esc(rec.day)}" data-state="${s.name}"${selectable ? ` aria-pressed="${selected}"` : ''} title="${esc(cellTitle(rec))}">` +
    `<span class="d">${Number(rec.day.slice(8))}</span><span class="l">${s.letter}</span>` +
    `<span class="n">${esc(n)}</span><span class="b">${esc(b)}</span></button>`
  );
}

function renderMonths() {
  const d = state.detail;
  const { from, to } = state.overview;
  let html = '';
  const first = new Date(dayMs(from));
  let y = first.getUTCFullYear();
  let m = first.getUTCMonth();
  // Newest month first: recent days are what an operator usually looks at.
  const months = [];
  for (;;) {
    const start = `${y}-${String(m + 1).padStart(2, '0')}-01`;
    if (start > to) break;
    months.push([y, m]);
    m++;
    if (m === 12) {
      m = 0;
      y++;
    }
  }
  months.reverse();
  for (const [yy, mm] of months) {
    const start = `${yy}-${String(mm + 1).padStart(2, '0')}-01`;
    const daysInMonth = new Date(Date.UTC(yy, mm + 1, 0)).getUTCDate();
    const lead = (new Date(Date.UTC(yy, mm, 1)).getUTCDay() + 6) % 7; // Monday first
    html += `<section class="month" data-month="${start.slice(0, 7)}"><h3>${MONTH_NAMES[mm]} ${yy}</h3><div class="grid">`;
    for (const wd of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']) html += `<span class="wd">${wd}</span>`;
    for (let i = 0; i < lead; i++) html += '<span class="day out"></span>';
    for (let i = 1; i <= daysInMonth; i++) {
      const day = `${start.slice(0, 8)}${String(i).padStart(2, '0')}`;
      const rec = d.byDay.get(day);
      html += rec ? cellHtml(rec) : '<span class="day out"></span>';
    }
    html += '</div></section>';
  }
  $('months').innerHTML = html;
  const c = countCodes(d.days.map((r) => r.code).join(''));
  $('detail-summary').textContent = `${from} → ${to}: ${c.x} exported · ${c.e} empty · ${c.f} failed · ${c.r} running · ${c.m} missing`;
}

function refreshCell(day) {
  const rec = state.detail?.byDay.get(day);
  const cell = document.querySelector(`.day[data-day="${day}"]`);
  if (rec && cell) cell.outerHTML = cellHtml(rec);
}

function showDay(day) {
  const d = state.detail;
  const rec = d?.byDay.get(day);
  if (!rec) return;
  const previous = state.focusDay;
  state.focusDay = day;
  if (previous && previous !== day) refreshCell(previous);
  refreshCell(day);
  const s = STATES[rec.code];
  const prefix = state.overview.workflowUrlPrefix;
  let html = `<h3><span class="sw s-${rec.code}">${s.letter}</span> <span>${day} · ${s.name}</span></h3>`;
  if (rec.code === 'x' || rec.code === 'e')
    html += `<p class="day-total">${thousands(rec.rows)} rows · ${formatBytes(rec.bytes)} in ${rec.entries.length} files</p>`;
  if (isSelectable(rec))
    html += `<p class="muted">${state.selected.has(day) ? 'Selected for a backfill (click the day again to deselect).' : 'Click the day again to select it for a backfill.'}</p>`;
  const workflows = new Map();
  for (const e of rec.entries) if (e.workflowId) workflows.set(`${e.workflowId}/${e.runId ?? ''}`, e);
  if (workflows.size > 0) {
    html += '<div class="links">';
    for (const e of workflows.values()) {
      const href = `${prefix}${encodeURIComponent(e.workflowId)}${e.runId ? `/${encodeURIComponent(e.runId)}` : ''}`;
      html += `<a class="wf-link" href="${esc(href)}" target="_blank" rel="noopener noreferrer" title="${esc(e.workflowId)}">Workflow in Temporal ↗</a>`;
    }
    html += '</div>';
  }
  for (const e of rec.entries) {
    html += `<div class="tbl" data-table="${e.table}"><h4>${e.table} — ${e.status}</h4><table>`;
    if (e.rows !== null) html += `<tr><th>Rows</th><td>${thousands(e.rows)}</td></tr>`;
    if (e.bytes !== null) html += `<tr><th>Size</th><td>${formatBytes(e.bytes)} (${thousands(e.bytes)} bytes)</td></tr>`;
    if (e.key) html += `<tr><th>Key</th><td class="mono">${esc(e.key)}</td></tr>`;
    if (e.sha256) html += `<tr><th>SHA-256</th><td class="mono" title="${esc(e.sha256)}">${esc(e.sha256.slice(0, 16))}…</td></tr>`;
    if (e.attempts > 0) html += `<tr><th>Attempts</th><td>${e.attempts}</td></tr>`;
    // A redelivery is the lookback re-sending a day whose source changed after it was delivered.
    if (e.kind)
      html += `<tr><th>Run</th><td>${esc(e.kind === 'redelivery' ? 'redelivery (source changed after delivery)' : e.kind === 'repair' ? 'repair (its scheduled run never started)' : e.kind)}</td></tr>`;
    if (e.finishedAt) html += `<tr><th>Finished</th><td>${esc(e.finishedAt.replace('T', ' ').slice(0, 19))} UTC</td></tr>`;
    else if (e.startedAt) html += `<tr><th>Started</th><td>${esc(e.startedAt.replace('T', ' ').slice(0, 19))} UTC</td></tr>`;
    if (e.error) html += `<tr><th>Error</th><td class="err">${esc(e.error)}</td></tr>`;
    html += '</table>';
    if (e.status === 'succeeded') {
      html += `<div class="links"><button type="button" class="file-link" data-table="${e.table}" data-day="${day}" title="${esc(e.key ? e.key.slice(e.key.lastIndexOf('/') + 1) : `${e.table}_${day}`)}: a link valid for 5 minutes">Download ${e.key && e.key.endsWith('.parquet') ? 'Parquet' : 'CSV'}</button></div>`;
    }
    html += '</div>';
  }
  $('day-info').innerHTML = html;
}

// ---------------------------------------------------------------------------------------------
// Selection and backfills

function toggleDay(day) {
  if (state.selected.has(day)) state.selected.delete(day);
  else state.selected.add(day);
}

function selectRange(a, b) {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  for (const rec of state.detail.days) if (rec.day >= lo && rec.day <= hi && isSelectable(rec)) state.selected.add(rec.day);
}

/** Sorted days → runs of consecutive days, one backfill each. */
function runsOf(days) {
  const runs = [];
  for (const day of [...days].sort()) {
    const last = runs[runs.length - 1];
    if (last && addDays(last.to, 1) === day) last.to = day;
    else runs.push({ from: day, to: day });
  }
  return runs;
}

function updateSelectionUi() {
  const n = state.selected.size;
  const runs = runsOf(state.selected).length;
  const button = $('backfill');
  button.disabled = n === 0 || !state.detail?.integration.enabled;
  button.textContent = n === 0 ? 'Backfill selected' : `Backfill ${n} selected day${n === 1 ? '' : 's'} (${runs} range${runs === 1 ? '' : 's'})`;
  $('clear-selection').disabled = n === 0;
  for (const cell of document.querySelectorAll('.day.selectable')) {
    const on = state.selected.has(cell.dataset.day);
    cell.classList.toggle('selected', on);
    cell.setAttribute('aria-pressed', String(on));
  }
}

async function backfillSelected() {
  const d = state.detail;
  if (!d || state.selected.size === 0) return;
  const runs = runsOf(state.selected);
  $('backfill').disabled = true;
  setStatus(`Starting ${runs.length} backfill${runs.length === 1 ? '' : 's'}…`);
  const results = $('backfill-results');
  let started = 0;
  for (const run of runs) {
    const label = run.from === run.to ? run.from : `${run.from} → ${run.to}`;
    const li = document.createElement('li');
    try {
      const res = await api(`/v1/integrations/${encodeURIComponent(d.integration.id)}/backfills`, { method: 'POST', body: JSON.stringify(run) });
      li.innerHTML = `Backfill of ${esc(label)} (${res.totalDays} day${res.totalDays === 1 ? '' : 's'}) started: <a class="bf-link" href="${esc(res.uiUrl)}" target="_blank" rel="noopener noreferrer">${esc(res.backfillId)} ↗</a>`;
      for (let day = run.from; day <= run.to; day = addDays(day, 1)) {
        state.selected.delete(day);
        state.watched.add(day);
      }
      started++;
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) return;
      li.className = 'err';
      li.textContent = `Backfill of ${label} failed to start: ${err instanceof Error ? err.message : String(err)}`;
    }
    results.prepend(li);
  }
  updateSelectionUi();
  setStatus(`${started} of ${runs.length} backfill${runs.length === 1 ? '' : 's'} started; the calendar refreshes while they run.`, started < runs.length);
  if (started > 0) startPolling();
}

function startPolling() {
  state.pollUntil = Date.now() + 10 * 60_000;
  if (state.pollTimer) return;
  const tick = async () => {
    state.pollTimer = null;
    const d = state.detail;
    if (!d) return;
    try {
      await loadDetail();
    } catch (err) {
      reportError(err, 'Could not refresh the ledger');
    }
    const unsettled = [...state.watched].some((day) => {
      const code = d.byDay.get(day)?.code;
      return code === 'm' || code === 'r';
    });
    const running = d.days.some((r) => r.code === 'r');
    if ((unsettled || running) && Date.now() < state.pollUntil && state.detail === d) state.pollTimer = setTimeout(tick, 2_000);
    else state.watched.clear();
  };
  state.pollTimer = setTimeout(tick, 1_000);
}

function stopPolling() {
  if (state.pollTimer) clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

async function openFile(table, day) {
  const d = state.detail;
  if (!d) return;
  // Opened while the click still counts as a user gesture, so popup blockers let it through; the
  // presigned link is filled in once the API answers.
  const win = window.open('about:blank', '_blank');
  try {
    const link = await api(`/v1/integrations/${encodeURIComponent(d.integration.id)}/files/${table}/${day}`);
    if (win) {
      win.opener = null;
      win.location.href = link.url;
    } else {
      location.assign(link.url);
    }
    setStatus(`Link to ${link.key} issued; it works until ${link.expiresAt.replace('T', ' ').slice(0, 19)} UTC.`);
  } catch (err) {
    win?.close();
    reportError(err, `Could not get a link to ${table} of ${day}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

function wire() {
  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = $('token').value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    state.token = token;
    $('token').value = '';
    start(null);
  });
  $('signout').addEventListener('click', () => {
    forgetToken();
    closeDetail();
    showLogin('Token forgotten. Enter a token to continue.');
  });
  $('range').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const openId = state.detail?.integration.id;
    loadOverview()
      .then(() => (openId ? openDetail(openId) : undefined))
      .catch((err) => reportError(err, 'Could not load the calendar'));
  });
  let filterTimer = null;
  $('filter').addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => state.overview && renderOverview(), 120);
  });
  $('sort').addEventListener('change', () => state.overview && renderOverview());

  const rows = $('rows');
  const tip = $('tip');
  rows.addEventListener('click', (ev) => {
    const row = ev.target.closest('.row');
    if (!row) return;
    const canvas = ev.target.closest('canvas');
    openDetail(row.dataset.id, canvas ? stripDay(canvas, ev.clientX).day : null);
  });
  rows.addEventListener('mousemove', (ev) => {
    const canvas = ev.target.closest('canvas');
    if (!canvas) {
      tip.hidden = true;
      return;
    }
    const it = integrationById(canvas.parentElement.dataset.id);
    const { idx, day } = stripDay(canvas, ev.clientX);
    tip.textContent = `${it.appId} · ${day} · ${STATES[it.codes[idx]]?.name ?? 'missing'}`;
    tip.hidden = false;
    tip.style.left = `${Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 8)}px`;
    tip.style.top = `${ev.clientY + 14}px`;
  });
  rows.addEventListener('mouseleave', () => (tip.hidden = true));

  $('months').addEventListener('click', (ev) => {
    const cell = ev.target.closest('button.day');
    if (!cell || !state.detail) return;
    const day = cell.dataset.day;
    if (cell.classList.contains('selectable')) {
      if (ev.shiftKey && state.anchor && state.anchor !== day) selectRange(state.anchor, day);
      else toggleDay(day);
      state.anchor = day;
    }
    showDay(day);
    updateSelectionUi();
  });
  $('day-info').addEventListener('click', (ev) => {
    const button = ev.target.closest('button.file-link');
    if (button) openFile(button.dataset.table, button.dataset.day);
  });
  $('close-detail').addEventListener('click', closeDetail);
  $('select-all').addEventListener('click', () => {
    for (const rec of state.detail?.days ?? []) if (isSelectable(rec)) state.selected.add(rec.day);
    updateSelectionUi();
  });
  $('clear-selection').addEventListener('click', () => {
    state.selected.clear();
    updateSelectionUi();
  });
  $('backfill').addEventListener('click', () => backfillSelected().catch((err) => reportError(err, 'Backfill failed')));
  $('refresh-detail').addEventListener('click', () => loadDetail().catch((err) => reportError(err, 'Could not refresh the ledger')));
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => state.overview && renderAxis(state.overview.from, state.overview.to), 150);
  });
}

async function start(openId) {
  $('login').hidden = true;
  try {
    await loadOverview();
  } catch (err) {
    reportError(err, 'Could not load the calendar');
    return;
  }
  if (openId && integrationById(openId)) await openDetail(openId);
}

function init() {
  const params = readFragment();
  state.token = sessionStorage.getItem(TOKEN_KEY);
  wire();
  if (!state.token) {
    showLogin();
    return;
  }
  start(params.get('integration'));
}

init();
