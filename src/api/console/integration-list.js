// Every integration with its destination, on/off toggle, last status in words, next run and links.
import { EnabledSwitch } from './enabled-switch.js';
import { formatInstant } from '../shared/format.js';
import { html } from './html.js';
import { calendarUrl, integrationHash, runsUrl } from './links.js';

export function lastStatusText(i) {
  const at = i.lastStatusAt ? ` (${formatInstant(i.lastStatusAt)})` : '';
  if (!i.lastStatus) return 'No export yet';
  if (i.lastStatus === 'succeeded') return `Last export succeeded${at}`;
  if (i.lastStatus === 'failed') return `Last export failed${at}: ${i.lastError ?? 'no error recorded'}`;
  return `${i.lastStatus}${at}${i.lastError ? `: ${i.lastError}` : ''}`;
}

/** The schedule paused itself after repeated configuration failures: since when, and what to fix. */
export const autoPausedText = (a) => `Auto-paused since ${a.since}: ${a.reason}`;

export function nextRunText(i) {
  if (!i.enabled) return 'Off';
  if (!i.schedule) return 'Schedule unavailable';
  if (i.schedule.autoPaused) return autoPausedText(i.schedule.autoPaused);
  if (i.schedule.paused) return `Paused${i.schedule.note ? `: ${i.schedule.note}` : ''}`;
  return formatInstant(i.schedule.nextRunTimes[0] ?? null);
}

export function IntegrationList({ api, ctx, integrations, onChanged, announce }) {
  return html`<section aria-labelledby="list-title">
    <div class="section-head">
      <h1 id="list-title" tabindex="-1">Integrations</h1>
      <a class="button primary" href="#new">Set up an integration</a>
    </div>
    ${
      integrations.length === 0
        ? html`<p>No integration yet. <a href="#new">Set one up</a>.</p>`
        : html`<table class="integrations">
            <thead>
              <tr>
                <th scope="col">App</th>
                <th scope="col">Bucket</th>
                <th scope="col">Folder</th>
                <th scope="col">Daily export</th>
                <th scope="col">Last status</th>
                <th scope="col">Next run</th>
                <th scope="col">Links</th>
              </tr>
            </thead>
            <tbody>
              ${integrations.map(
                (i) =>
                  html`<tr key=${i.id} data-id=${i.id}>
                    <th scope="row"><a href=${integrationHash(i.id)}>${i.appId}</a></th>
                    <td>${i.bucket}</td>
                    <td>${i.folder || html`<span class="muted">(none)</span>`}</td>
                    <td><${EnabledSwitch} api=${api} integration=${i} onChanged=${onChanged} announce=${announce} /></td>
                    <td class=${i.lastStatus === 'failed' ? 'error-text' : ''}>${lastStatusText(i)}</td>
                    <td class=${i.schedule?.autoPaused ? 'error-text' : ''}>${nextRunText(i)}</td>
                    <td class="links">
                      <a href=${calendarUrl(i.id)}>Calendar<span class="sr-only"> of app ${i.appId}</span></a>
                      <a href=${runsUrl(ctx.workflowUrlPrefix, i.id)} target="_blank" rel="noopener"
                        >Runs in Temporal UI<span class="sr-only"> for app ${i.appId}</span></a
                      >
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}
