// The daily schedule: paused or not and why (the note shows in the Temporal UI too), the next run
// times, recent runs, pause/resume with a note and "export yesterday now". An auto-paused schedule
// (repeated configuration failures) says why and offers resume with catch-up: one backfill of the
// missed days, linked here.
import { useEffect, useState } from 'preact/hooks';
import { describeFailure } from './api.js';
import { formatInstant } from '../shared/format.js';
import { html } from './html.js';
import { autoPausedText } from './integration-list.js';

export function SchedulePanel({ api, ctx, integration, announce, version, onResumed }) {
  const [schedule, setSchedule] = useState(null);
  const [error, setError] = useState(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [catchUp, setCatchUp] = useState(undefined);
  const autoPaused = integration.schedule?.autoPaused ?? null;
  const base = `/v1/integrations/${integration.id}/schedule`;

  const load = () =>
    api.get(base).then(
      (s) => (setSchedule(s), setError(null)),
      (err) => setError(describeFailure(err)),
    );
  useEffect(() => void load(), [integration.id, version]);

  async function act(action) {
    setBusy(true);
    try {
      if (action === 'trigger') {
        const r = await api.post(`${base}/trigger`);
        announce(`Export of ${r.day} started.`);
      } else if (action === 'catch-up') {
        const r = await api.post(`${base}/resume`, { catchUp: true, ...(note.trim() ? { note: note.trim() } : {}) });
        setCatchUp(r.catchUp);
        announce(
          r.catchUp
            ? `Schedule resumed; catching up ${r.catchUp.missedDays.length} missed ${r.catchUp.missedDays.length === 1 ? 'day' : 'days'} (${r.catchUp.from} to ${r.catchUp.to}).`
            : 'Schedule resumed; no day was missed.',
        );
        setNote('');
        onResumed?.(r.catchUp);
      } else {
        await api.post(`${base}/${action}`, note.trim() ? { note: note.trim() } : {});
        announce(action === 'pause' ? 'Schedule paused.' : 'Schedule resumed.');
        setNote('');
        if (action === 'resume') onResumed?.(null);
      }
      await load();
    } catch (err) {
      announce(`Schedule not changed: ${describeFailure(err)}`, true);
    } finally {
      setBusy(false);
    }
  }

  return html`<section class="panel" aria-labelledby="schedule-title">
    <h2 id="schedule-title">Schedule</h2>
    ${error && html`<p class="form-error" role="alert">Could not read the schedule: ${error}</p>`}
    ${
      schedule &&
      html`<p id="schedule-state">
          <strong>${schedule.paused ? 'Paused' : 'Active'}</strong>: exports the previous UTC day every day at 04:00 UTC.
          ${schedule.note && html` Note: “${schedule.note}”.`}
        </p>
        ${
          autoPaused &&
          html`<p id="auto-paused" class="error-text">${autoPausedText(autoPaused)}. Fix the cause, then resume with catch-up to export the missed days.</p>`
        }
        ${
          catchUp !== undefined &&
          html`<p id="catch-up">
            ${
              catchUp
                ? html`Catching up ${catchUp.from} → ${catchUp.to} (${catchUp.missedDays.length} missed of ${catchUp.totalDays} days):
                    <a href=${catchUp.uiUrl} target="_blank" rel="noopener">backfill ${catchUp.backfillId} in Temporal UI</a>; its progress shows under Manual
                    export.`
                : 'Nothing was missed: no catch-up backfill was needed.'
            }
          </p>`
        }
        <p>
          <a href=${schedule.uiUrl} target="_blank" rel="noopener">Schedule in Temporal UI</a>
        </p>
        <div class="field">
          <label for="schedule-note">Note (why you pause or resume; shown in the Temporal UI)</label>
          <input id="schedule-note" type="text" maxlength="500" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} />
        </div>
        <div class="actions">
          ${
            schedule.paused
              ? html`<button type="button" onClick=${() => act('catch-up')} disabled=${busy || !integration.enabled} class=${autoPaused ? 'primary' : ''}>
                    Resume and catch up missed days
                  </button>
                  <button type="button" onClick=${() => act('resume')} disabled=${busy || !integration.enabled}>Resume schedule</button>`
              : html`<button type="button" onClick=${() => act('pause')} disabled=${busy}>Pause schedule</button>`
          }
          <button type="button" onClick=${() => act('trigger')} disabled=${busy || !integration.enabled}>Export yesterday now</button>
        </div>
        ${!integration.enabled && html`<p class="hint">The integration is off: turn it on to resume its schedule.</p>`}
        <h3>${schedule.paused ? 'Next runs once resumed' : 'Next runs'}</h3>
        ${
          schedule.nextRunTimes.length === 0
            ? html`<p class="muted">None while paused.</p>`
            : html`<ul class="plain">
                ${schedule.nextRunTimes.map((t) => html`<li key=${t}>${formatInstant(t)}</li>`)}
              </ul>`
        }
        <h3>Recent runs</h3>
        ${
          schedule.recentRuns.length === 0
            ? html`<p class="muted">No scheduled run yet.</p>`
            : html`<table class="runs">
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col">Started</th>
                    <th scope="col">Status</th>
                    <th scope="col">Workflow</th>
                  </tr>
                </thead>
                <tbody>
                  ${schedule.recentRuns.map(
                    (r) =>
                      html`<tr key=${r.runId}>
                        <td>${r.day}</td>
                        <td>${formatInstant(r.startedAt)}</td>
                        <td>${r.status}</td>
                        <td>
                          <a href=${`${ctx.workflowUrlPrefix}${encodeURIComponent(r.workflowId)}/${encodeURIComponent(r.runId)}`} target="_blank" rel="noopener"
                            >Open in Temporal UI</a
                          >
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
        ${
          schedule.pauses.length > 0 &&
          html`<h3>Pauses</h3>
            <p class="hint">Days whose 04:00 run fell in a pause were skipped on purpose; any other day whose run never started is exported by the next run.</p>
            <ul class="plain" id="schedule-pauses">
              ${schedule.pauses.map(
                (p) =>
                  html`<li key=${p.pausedAt}>${formatInstant(p.pausedAt)} → ${p.resumedAt ? formatInstant(p.resumedAt) : 'still paused'}: “${p.note}”</li>`,
              )}
            </ul>`
        }`
    }
  </section>`;
}
