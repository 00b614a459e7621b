// "Send test alert": POST /v1/integrations/:id/alerts/test sends one alert.test event to the saved
// webhook right away (not through Temporal) and answers with what the receiver said.
import { useState } from 'preact/hooks';
import { describeFailure } from './api.js';
import { html } from './html.js';

export function resultText(r) {
  if (r.delivered) return `Delivered: the receiver answered ${r.status} in ${r.durationMs} ms.`;
  return r.status === null
    ? `Not delivered: ${r.error ?? 'the receiver did not answer'}.`
    : `Not delivered: the receiver answered ${r.status}${r.error ? ` (${r.error})` : ''}.`;
}

export function AlertTest({ api, integration, announce }) {
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);

  async function run() {
    setBusy(true);
    setResult(null);
    try {
      const r = await api.post(`/v1/integrations/${integration.id}/alerts/test`);
      setResult({ ok: r.delivered, text: resultText(r) });
      announce(`Test alert: ${resultText(r)}`, !r.delivered);
    } catch (err) {
      setResult({ ok: false, text: `Not sent: ${describeFailure(err)}` });
      announce(`Test alert not sent: ${describeFailure(err)}`, true);
    } finally {
      setBusy(false);
    }
  }

  return html`<div class="alert-test">
    <button type="button" onClick=${run} disabled=${busy}>${busy ? 'Sending…' : 'Send test alert'}</button>
    ${result && html`<p id="alert-test-result" class=${result.ok ? 'ok-text' : 'error-text'}>${result.text}</p>`}
  </div>`;
}
