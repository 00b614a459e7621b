// Manual export: a UTC day range (today excluded, at most BACKFILL_MAX_DAYS days, the API's own
// rules checked here first so the button says why it is off), the tables, then the backfill's live
// progress with cancel, and each day's files (presigned links, as the calendar gives them) or errors.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, describeFailure } from './api.js';
import { Problems } from './controls.js';
import { problemsByField } from './fields.js';
import { addDays, daysBetween, dayCount, formatBytes, formatCount, formatDuration } from '../shared/format.js';
import { html } from './html.js';
import { rangeProblems } from './range.js';

const POLL_MS = 1000;

export function ManualExport({ api, ctx, integration, announce, onFinished, watched = null }) {
  const yesterday = addDays(ctx.today, -1);
  const [from, setFrom] = useState(addDays(ctx.today, -3));
  const [to, setTo] = useState(yesterday);
  const [tables, setTables] = useState(ctx.tables);
  const [apiProblems, setApiProblems] = useState(new Map());
  const [backfill, setBackfill] = useState(null);
  const [ledger, setLedger] = useState(null);
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(Date.now());
  const timer = useRef(null);
  const base = `/v1/integrations/${integration.id}/backfills`;

  const local = problemsByField([
    ...rangeProblems(from, to, ctx.today, ctx.maxDays),
    ...(tables.length === 0 ? [{ field: 'tables', rule: 'choose at least one table' }] : []),
  ]);
  const problems = (field) => [...(local.get(field) ?? []), ...(apiProblems.get(field) ?? [])];

  async function loadLedger(b) {
    const l = await api.get(`/v1/integrations/${integration.id}/exports?from=${b.from}&to=${b.to}`);
    setLedger(l);
  }

  async function poll(id) {
    clearTimeout(timer.current);
    try {
      const b = await api.get(`${base}/${encodeURIComponent(id)}`);
      setBackfill(b);
      setNow(Date.now());
      if (b.status === 'running') {
        timer.current = setTimeout(() => void poll(id), POLL_MS);
        return;
      }
      const failed = b.failedDays.length;
      announce(
        `Export ${b.from} to ${b.to} ${b.status.replaceAll('_', ' ')}: ${b.completedDays} of ${b.totalDays} days done${failed ? `, ${failed} failed` : ''}.`,
        b.status !== 'completed',
      );
      await loadLedger(b);
      onFinished?.(b);
    } catch (err) {
      announce(`Could not read the export's progress: ${describeFailure(err)}`, true);
      timer.current = setTimeout(() => void poll(id), POLL_MS * 5);
    }
  }

  // A backfill already running for this integration (started here earlier, or elsewhere) is shown live.
  useEffect(() => {
    api.get(`${base}?limit=5`).then(
      (r) => {
        const running = r.backfills.find((b) => b.status === 'running');
        if (running) void poll(running.backfillId);
      },
      () => undefined,
    );
    return () => clearTimeout(timer.current);
  }, [integration.id]);

  useEffect(() => {
    if (watched) void poll(watched);
  }, [watched]);

  async function start(e) {
    e.preventDefault();
    if (local.size > 0) return;
    setBusy(true);
    setApiProblems(new Map());
    setLedger(null);
    try {
      const started = await api.post(base, { from, to, tables });
      announce(`Export of ${started.totalDays} days started (${from} to ${to}).`);
      await poll(started.backfillId);
    } catch (err) {
      if (err instanceof ApiFailure) setApiProblems(problemsByField(err.details));
      announce(`Export not started: ${describeFailure(err)}`, true);
    } finally {
      setBusy(false);
    }
  }

  async function cancel() {
    try {
      const r = await api.del(`${base}/${encodeURIComponent(backfill.backfillId)}`);
      announce(r.message);
      void poll(backfill.backfillId);
    } catch (err) {
      announce(`Could not cancel: ${describeFailure(err)}`, true);
    }
  }

  const running = backfill?.status === 'running';
  return html`<section class="panel wide" aria-labelledby="export-title">
    <h2 id="export-title">Manual export</h2>
    <form class="range-form" novalidate onSubmit=${start}>
      <p class="hint">
        Exports every day from the first day 00:00:00 UTC to the last day 23:59:59 UTC, the same files the daily schedule writes. Today (${ctx.today}, UTC) is
        not complete yet; at most ${ctx.maxDays} days at once.
      </p>
      <div class="range">
        <div class=${`field${problems('from').length ? ' invalid' : ''}`}>
          <label for="export-from">First day (UTC)</label>
          <input
            id="export-from"
            type="date"
            value=${from}
            max=${yesterday}
            aria-invalid=${problems('from').length ? 'true' : undefined}
            aria-describedby=${problems('from').length ? 'export-from-error' : undefined}
            onInput=${(e) => setFrom(e.currentTarget.value)}
          />
          <${Problems} id="export-from" problems=${problems('from')} />
        </div>
        <div class=${`field${problems('to').length ? ' invalid' : ''}`}>
          <label for="export-to">Last day (UTC)</label>
          <input
            id="export-to"
            type="date"
            value=${to}
            max=${yesterday}
            aria-invalid=${problems('to').length ? 'true' : undefined}
            aria-describedby=${problems('to').length ? 'export-to-error' : undefined}
            onInput=${(e) => setTo(e.currentTarget.value)}
          />
          <${Problems} id="export-to" problems=${problems('to')} />
        </div>
      </div>
      <fieldset class="tables" aria-describedby=${problems('tables').length ? 'export-tables-error' : undefined}>
        <legend>Tables to include</legend>
        ${ctx.tables.map(
          (t) =>
            html`<label key=${t} class="check"
              ><input
                type="checkbox"
                checked=${tables.includes(t)}
                onChange=${(e) => setTables(ctx.tables.filter((x) => (x === t ? e.currentTarget.checked : tables.includes(x))))}
              />
              ${t}</label
            >`,
        )}
        <${Problems} id="export-tables" problems=${problems('tables')} />
      </fieldset>
      ${!integration.enabled && html`<p class="hint">The integration is off: turn it on before exporting.</p>`}
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy || running || local.size > 0 || !integration.enabled}>
          ${local.size === 0 ? `Export ${dayCount(from, to)} ${dayCount(from, to) === 1 ? 'day' : 'days'}` : 'Export'}
        </button>
      </div>
    </form>
    ${backfill && html`<${Progress} backfill=${backfill} now=${now} onCancel=${cancel} />`}
    ${ledger && backfill && html`<${DayFiles} api=${api} integration=${integration} backfill=${backfill} ledger=${ledger} announce=${announce} />`}
  </section>`;
}

function Progress({ backfill: b, now, onCancel }) {
  const failed = b.failedDays.length;
  const done = b.completedDays + failed;
  const elapsed = ((b.finishedAt ? Date.parse(b.finishedAt) : now) - Date.parse(b.startedAt)) / 1000;
  const eta = b.status === 'running' && done > 0 ? formatDuration((elapsed / done) * (b.totalDays - done)) : null;
  return html`<div class="progress" id="export-progress">
    <h3>Export ${b.from} → ${b.to}: <span class=${`status-${b.status}`}>${b.cancelling ? 'cancelling' : b.status.replaceAll('_', ' ')}</span></h3>
    <progress max=${b.totalDays} value=${done} aria-label=${`${done} of ${b.totalDays} days finished`}></progress>
    <dl class="figures">
      <div>
        <dt>Days done</dt>
        <dd>${b.completedDays} of ${b.totalDays}</dd>
      </div>
      <div>
        <dt>Days failed</dt>
        <dd>${failed}</dd>
      </div>
      <div>
        <dt>Rows</dt>
        <dd>${formatCount(b.rows)}</dd>
      </div>
      <div>
        <dt>Size</dt>
        <dd>${formatBytes(b.bytes)}</dd>
      </div>
      <div>
        <dt>${b.status === 'running' ? 'Time left' : 'Took'}</dt>
        <dd>${b.status === 'running' ? (eta ?? 'estimating…') : formatDuration(elapsed)}</dd>
      </div>
    </dl>
    ${b.error && html`<p class="error-text">Stopped early: ${b.error}</p>`}
    ${b.worker && !b.worker.polling && html`<p class="error-text">No worker is polling task queue ${b.worker.taskQueue}: nothing progresses until one starts.</p>`}
    <div class="actions">
      ${b.status === 'running' && html`<button type="button" onClick=${onCancel} disabled=${b.cancelling}>Cancel export</button>`}
      <a href=${b.uiUrl} target="_blank" rel="noopener">Backfill workflow in Temporal UI</a>
    </div>
  </div>`;
}

/** The download's name, with the data file's own extension (.csv, .csv.gz or .parquet). */
const fileName = (table, day, key) => `${table}_${day}${/(\.csv\.gz|\.parquet|\.csv)$/.exec(key)?.[1] ?? '.csv'}`;

function DayFiles({ api, integration, backfill, ledger, announce }) {
  const [links, setLinks] = useState({});
  const failedByDay = new Map(backfill.failedDays.map((f) => [f.day, f.error]));
  const entry = (day, table) => ledger.entries.find((e) => e.day === day && e.table === table);

  async function link(table, day) {
    try {
      const l = await api.get(`/v1/integrations/${integration.id}/files/${table}/${day}`);
      setLinks((x) => ({ ...x, [`${table}/${day}`]: l }));
      announce(`Download link for ${table} ${day} ready (valid 5 minutes).`);
    } catch (err) {
      announce(`No link: ${describeFailure(err)}`, true);
    }
  }

  return html`<table class="files" id="export-files">
    <caption>
      Files by day
    </caption>
    <thead>
      <tr>
        <th scope="col">Day</th>
        <th scope="col">Table</th>
        <th scope="col">Status</th>
        <th scope="col">Rows</th>
        <th scope="col">Size</th>
        <th scope="col">File</th>
      </tr>
    </thead>
    <tbody>
      ${daysBetween(backfill.from, backfill.to).flatMap((day) =>
        backfill.tables.map((table) => {
          const e = entry(day, table);
          const l = links[`${table}/${day}`];
          const error = e?.error ?? (e?.status === 'succeeded' ? null : failedByDay.get(day));
          return html`<tr key=${`${day}/${table}`} data-day=${day} data-table=${table}>
            <td>${day}</td>
            <td>${table}</td>
            <td class=${`status-${e?.status ?? 'missing'}`}>${e?.status ?? 'missing'}</td>
            <td>${e?.rows ?? '–'}</td>
            <td>${e?.bytes == null ? '–' : formatBytes(e.bytes)}</td>
            <td>
              ${
                e?.status === 'succeeded' &&
                html`<code class="key">${e.key}</code> ${
                    l
                      ? html`<a href=${l.url} download=${fileName(table, day, e.key)} class="file-link">Download ${fileName(table, day, e.key)}</a>`
                      : html`<button type="button" class="link" onClick=${() => link(table, day)}>Get download link</button>`
                  }`
              }
              ${error && html`<p class="error-text">${error}</p>`}
            </td>
          </tr>`;
        }),
      )}
    </tbody>
  </table>`;
}
