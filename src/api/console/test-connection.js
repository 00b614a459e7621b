// Test connection: POST /v1/integrations/:id/test-connection runs the export's real write path against
// the bucket; each step is shown with its result and, when it failed, the API's "what to fix".
import { useState } from 'preact/hooks';
import { describeFailure } from './api.js';
import { html } from './html.js';

const STEPS = {
  put_object: 'Write a small object',
  create_multipart_upload: 'Start a multipart upload',
  upload_part: 'Upload a part',
  complete_multipart_upload: 'Complete the multipart upload',
  delete_objects: 'Delete the probe objects',
  abort_leftovers: 'Abort anything left open',
};

// How an export's multipart parts will prove their bytes to this provider (src/s3/part-checksum.ts).
const PART_CHECKSUM = {
  crc32: 'Uploaded parts will carry CRC32 checksums: this provider refused a wrong one, and the connection is TLS or loopback.',
  sha256: 'Uploaded parts will carry SHA-256 checksums: this provider refused a wrong one.',
  md5: 'Uploaded parts will carry Content-MD5.',
};

const outcome = (s) => (s.skipped ? 'skipped' : s.ok ? 'passed' : 'failed');

export function TestConnection({ api, integration, announce }) {
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function run() {
    setBusy(true);
    setError(null);
    setResult(null);
    announce('Testing the connection…');
    try {
      const r = await api.post(`/v1/integrations/${integration.id}/test-connection`);
      setResult(r);
      const failed = r.steps.find((s) => !s.ok && !s.skipped);
      announce(
        r.ok ? 'Connection test passed: every step succeeded.' : `Connection test failed at "${STEPS[failed?.name] ?? failed?.name}": ${failed?.error ?? ''}`,
        !r.ok,
      );
    } catch (err) {
      setError(describeFailure(err));
      announce(`Could not run the connection test: ${describeFailure(err)}`, true);
    } finally {
      setBusy(false);
    }
  }

  return html`<section class="panel" aria-labelledby="test-title">
    <h2 id="test-title">Test connection</h2>
    <p class="hint">
      Writes, uploads and deletes a small probe under <code>${integration.folder || '(bucket root)'}/_ua_export_probe/</code> with the saved settings.
    </p>
    <button type="button" onClick=${run} disabled=${busy}>${busy ? 'Testing…' : 'Test connection'}</button>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    ${
      result &&
      html`<div class="probe" id="probe-result">
        <p class=${result.ok ? 'ok-text' : 'error-text'}>
          <strong>${result.ok ? 'Connection works.' : 'Connection failed.'}</strong> ${result.endpoint} · bucket ${result.bucket}
        </p>
        <ol class="steps">
          ${result.steps.map(
            (s) =>
              html`<li key=${s.name} class=${`step ${outcome(s)}`}>
                <span class="mark" aria-hidden="true">${s.skipped ? '–' : s.ok ? '✓' : '✗'}</span>
                <span class="step-name">${STEPS[s.name] ?? s.name}</span>
                <span class="step-result">${outcome(s)}${s.skipped ? '' : ` in ${s.durationMs} ms`}</span>
                ${s.error && !s.skipped && html`<p class="fix">What to fix: ${s.error}</p>`}
                ${s.error && s.skipped && html`<p class="skip-reason">Not run: ${s.error}</p>`}
              </li>`,
          )}
        </ol>
        ${result.partChecksum && html`<p class="hint" id="part-checksum">${PART_CHECKSUM[result.partChecksum]}</p>`}
      </div>`
    }
  </section>`;
}
