// One integration: its state and links, test connection, manual export, schedule and its settings.
import { useState } from 'preact/hooks';
import { EnabledSwitch } from './enabled-switch.js';
import { html } from './html.js';
import { IntegrationForm } from './integration-form.js';
import { lastStatusText, nextRunText } from './integration-list.js';
import { calendarUrl, runsUrl } from './links.js';
import { ManualExport } from './manual-export.js';
import { SchedulePanel } from './schedule-panel.js';
import { TestConnection } from './test-connection.js';

export function IntegrationPage({ api, ctx, integration, appIds, onChanged, announce }) {
  // Bumped when something here changes the schedule, so the schedule panel reads it again.
  const [version, setVersion] = useState(0);
  // A backfill started from the schedule panel (resume with catch-up), shown live by the manual export.
  const [watched, setWatched] = useState(null);
  const changed = (updated) => {
    onChanged(updated);
    setVersion((v) => v + 1);
  };
  // An export changes the integration's last status: read it again when one ends.
  const reload = () => api.get(`/v1/integrations/${integration.id}`).then(changed, () => undefined);
  const i = integration;
  return html`<article aria-labelledby="integration-title">
    <div class="section-head">
      <h1 id="integration-title" tabindex="-1">App ${i.appId}</h1>
      <${EnabledSwitch} api=${api} integration=${i} onChanged=${changed} announce=${announce} idPrefix="page-enabled" />
    </div>
    <p class="meta">Integration <code>${i.id}</code> · ${i.bucket}${i.folder ? ` / ${i.folder}` : ''} · ${i.endpointUrl}</p>
    <p class=${i.lastStatus === 'failed' || i.schedule?.autoPaused ? 'error-text' : ''}>${lastStatusText(i)} · Next run: ${nextRunText(i)}</p>
    <p class="links">
      <a href="#">All integrations</a>
      <a href=${calendarUrl(i.id)}>Calendar of this integration</a>
      <a href=${runsUrl(ctx.workflowUrlPrefix, i.id)} target="_blank" rel="noopener">Runs in Temporal UI</a>
    </p>
    <div class="panels">
      <${TestConnection} api=${api} integration=${i} announce=${announce} />
      <${SchedulePanel}
        api=${api}
        ctx=${ctx}
        integration=${i}
        announce=${announce}
        version=${version}
        onResumed=${(catchUp) => {
          if (catchUp) setWatched(catchUp.backfillId);
          void reload();
        }}
      />
      <${ManualExport} api=${api} ctx=${ctx} integration=${i} announce=${announce} onFinished=${reload} watched=${watched} />
      <section class="panel wide">
        <${IntegrationForm} key=${`${i.id}/${i.updatedAt}`} api=${api} ctx=${ctx} integration=${i} appIds=${appIds} onSaved=${changed} announce=${announce} />
      </section>
    </div>
  </article>`;
}
