// Set up or edit an integration: POST /v1/integrations or PATCH /v1/integrations/:id with only what
// changed. The API validates; its 4xx details are shown next to the field each one names.
import { useState } from 'preact/hooks';
import { AlertTest } from './alert-test.js';
import { ApiFailure, describeFailure } from './api.js';
import { EventTypesPicker } from './event-types.js';
import {
  ADVANCED_FIELDS,
  ALERT_FIELDS,
  APP_FIELDS,
  CONNECTION_FIELDS,
  ENABLED_FIELD,
  EVENT_TYPES_PATH,
  FORMAT_FIELDS,
  initialValues,
  localProblems,
  OPERATIONS_FIELDS,
  problemsByField,
  REMOVE_ALERTS_FIELD,
  requestBody,
  SETTINGS_FIELDS,
  shownAt,
} from './fields.js';
import { Field, fieldId } from './controls.js';
import { html } from './html.js';

export function IntegrationForm({ api, ctx, integration, appIds, onSaved, announce }) {
  const editing = integration !== null;
  const hasAlerts = Boolean(integration?.alerts);
  const alertFields = [...ALERT_FIELDS, ...(hasAlerts ? [REMOVE_ALERTS_FIELD] : [])];
  const fields = [
    ...APP_FIELDS,
    ...CONNECTION_FIELDS,
    ...ADVANCED_FIELDS,
    ...SETTINGS_FIELDS,
    ...FORMAT_FIELDS,
    ...OPERATIONS_FIELDS,
    ...alertFields,
    ...(editing ? [] : [ENABLED_FIELD]),
  ];
  const [initial] = useState(() => initialValues(fields, integration));
  const [values, setValues] = useState(initial);
  const [problems, setProblems] = useState(new Map());
  const [formError, setFormError] = useState(null);
  const [busy, setBusy] = useState(false);
  const known = new Set([...fields.map((f) => f.path), EVENT_TYPES_PATH]);
  const shown = (fs) => fs.filter((f) => !f.appliesWhen || f.appliesWhen(values)).map(field);

  const set = (path) => (value) => setValues((v) => ({ ...v, [path]: value }));
  const problemsOf = (path) => problems.get(path) ?? [];
  const field = (f) =>
    html`<${Field}
      key=${f.path}
      field=${f}
      value=${values[f.path]}
      onInput=${set(f.path)}
      problems=${problemsOf(f.path)}
      placeholder=${editing && f.keptAs ? f.keptAs(integration) : undefined}
    />`;

  async function submit(e) {
    e.preventDefault();
    const local = problemsByField(localProblems(values, initial, { editing, hasAlerts }));
    if (local.size > 0) {
      setProblems(local);
      setFormError('Not sent: see the message next to the field.');
      announce(`Not saved: ${[...local.entries()].map(([f, rules]) => `${f} ${rules.join('; ')}`).join('; ')}`, true);
      document.getElementById(fieldId(shownAt([...local.keys()][0])))?.focus();
      return;
    }
    const body = requestBody(fields, values, initial, { editing, schema: editing ? ctx.schemas.patchIntegration : ctx.schemas.createIntegration });
    if (editing && Object.keys(body).length === 0) {
      announce('Nothing changed.');
      return;
    }
    setBusy(true);
    setFormError(null);
    setProblems(new Map());
    try {
      const saved = editing ? await api.patch(`/v1/integrations/${integration.id}`, body) : await api.post('/v1/integrations', body);
      announce(editing ? 'Changes saved.' : `Integration created for app ${saved.appId}.`);
      onSaved(saved);
    } catch (err) {
      const byField = err instanceof ApiFailure ? problemsByField(err.details) : new Map();
      setProblems(byField);
      const unplaced = [...byField.entries()].filter(([path]) => !known.has(path));
      setFormError(
        unplaced.length > 0 || byField.size === 0
          ? describeFailure(err)
          : `The API refused ${byField.size === 1 ? 'a field' : `${byField.size} fields`}: see the messages next to them.`,
      );
      announce(`Not saved: ${describeFailure(err)}`, true);
      // Keyboard users land on the first field the API named.
      const first = fields.find((f) => byField.has(f.path));
      if (first) document.getElementById(fieldId(first.path))?.focus();
    } finally {
      setBusy(false);
    }
  }

  const advancedHasProblem = ADVANCED_FIELDS.some((f) => problems.has(f.path));
  return html`<form class="integration-form" novalidate onSubmit=${submit} aria-labelledby="form-title">
    <h2 id="form-title">${editing ? 'Settings' : 'Set up an integration'}</h2>
    <fieldset>
      <legend>Destination</legend>
      ${APP_FIELDS.map(field)}
      <datalist id="known-apps">${appIds.map((a) => html`<option key=${a} value=${a} />`)}</datalist>
      ${CONNECTION_FIELDS.map(field)}
      <details class="advanced" open=${advancedHasProblem || undefined}>
        <summary>Advanced</summary>
        ${ADVANCED_FIELDS.map(field)}
      </details>
    </fieldset>
    <fieldset>
      <legend>Events and tags</legend>
      ${SETTINGS_FIELDS.map(field)}
      <${EventTypesPicker}
        catalog=${ctx.catalog}
        value=${values[EVENT_TYPES_PATH]}
        onChange=${set(EVENT_TYPES_PATH)}
        problems=${problemsOf(EVENT_TYPES_PATH)}
      />
    </fieldset>
    <fieldset>
      <legend>Delivery format</legend>
      ${shown(FORMAT_FIELDS)}
    </fieldset>
    <fieldset>
      <legend>Operations</legend>
      ${shown(OPERATIONS_FIELDS)}
    </fieldset>
    <fieldset id="alerts-group">
      <legend>Alerts</legend>
      ${shown(alertFields)}
      ${
        hasAlerts &&
        html`<p class="hint">
            Saved webhook: ${integration.alerts.webhookUrl} (${integration.alerts.format}${integration.alerts.hasSecret ? ', signed' : ', not signed'}).
          </p>
          <${AlertTest} api=${api} integration=${integration} announce=${announce} />`
      }
    </fieldset>
    ${!editing && field(ENABLED_FIELD)} ${formError && html`<p class="form-error" role="alert">${formError}</p>`}
    <div class="actions">
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Saving…' : editing ? 'Save changes' : 'Create integration'}</button>
    </div>
  </form>`;
}
