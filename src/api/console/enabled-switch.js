// The on/off toggle of an integration: PATCH { enabled } disables or enables it and, in the same
// request, pauses or resumes its Temporal schedule.
import { useState } from 'preact/hooks';
import { describeFailure } from './api.js';
import { Switch } from './controls.js';
import { html } from './html.js';

export function EnabledSwitch({ api, integration, onChanged, announce, idPrefix = 'enabled' }) {
  const [busy, setBusy] = useState(false);
  async function toggle(on) {
    setBusy(true);
    try {
      const updated = await api.patch(`/v1/integrations/${integration.id}`, { enabled: on });
      announce(
        on
          ? `Integration for app ${updated.appId} turned on: its schedule runs again.`
          : `Integration for app ${updated.appId} turned off: its schedule is paused.`,
      );
      onChanged(updated);
    } catch (err) {
      announce(`Could not turn it ${on ? 'on' : 'off'}: ${describeFailure(err)}`, true);
    } finally {
      setBusy(false);
    }
  }
  const label = html`${integration.enabled ? 'On' : 'Off'}<span class="sr-only"> (daily export for app ${integration.appId})</span>`;
  return html`<${Switch} id=${`${idPrefix}-${integration.id}`} label=${label} checked=${integration.enabled} disabled=${busy} onChange=${toggle} />`;
}
