// Form controls shared by the console's views: every input has its <label>, its hint and the API's
// complaint about it tied to it with aria-describedby, and aria-invalid while the API refuses it.
import { html } from './html.js';

export const fieldId = (path) => `f-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;

function describedBy(id, hint, problems) {
  const ids = [];
  if (hint) ids.push(`${id}-hint`);
  if (problems.length > 0) ids.push(`${id}-error`);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

export function Problems({ id, problems }) {
  if (problems.length === 0) return null;
  return html`<p id=${`${id}-error`} class="field-error">${problems.join('; ')}</p>`;
}

const INPUT_TYPES = { url: 'url', number: 'number' };

/** A text, URL, whole-number or write-only input. */
export function TextField({ field, value, onInput, problems = [], placeholder }) {
  const id = fieldId(field.path);
  const type = INPUT_TYPES[field.kind] ?? (field.kind === 'secret' && !field.reveal ? 'password' : 'text');
  return html`<div class=${`field${problems.length ? ' invalid' : ''}`}>
    <label for=${id}>${field.label}</label>
    <input
      id=${id}
      name=${field.path}
      type=${type}
      value=${value}
      placeholder=${placeholder}
      list=${field.list}
      min=${field.min}
      max=${field.max}
      step=${field.kind === 'number' ? 1 : undefined}
      autocomplete="off"
      spellcheck="false"
      aria-invalid=${problems.length > 0 ? 'true' : undefined}
      aria-describedby=${describedBy(id, field.hint, problems)}
      onInput=${(e) => onInput(e.currentTarget.value)}
    />
    ${field.hint && html`<p id=${`${id}-hint`} class="hint">${field.hint}</p>`}
    <${Problems} id=${id} problems=${problems} />
  </div>`;
}

/** An on/off toggle: a checkbox with the switch role, its label and what it does. */
export function Switch({ id, label, hint, checked, onChange, problems = [], mixed = false, disabled = false }) {
  return html`<div class=${`switch-field${problems.length ? ' invalid' : ''}`}>
    <input
      id=${id}
      type="checkbox"
      class="switch"
      role=${mixed ? undefined : 'switch'}
      checked=${checked}
      indeterminate=${mixed}
      disabled=${disabled}
      aria-invalid=${problems.length > 0 ? 'true' : undefined}
      aria-describedby=${describedBy(id, hint, problems)}
      onChange=${(e) => onChange(e.currentTarget.checked)}
    />
    <div>
      <label for=${id}>${label}</label>
      ${hint && html`<p id=${`${id}-hint`} class="hint">${hint}</p>`}
      <${Problems} id=${id} problems=${problems} />
    </div>
  </div>`;
}

/** A choice among a few fixed values (`options`: [value, label] pairs). */
export function SelectField({ field, value, onInput, problems = [] }) {
  const id = fieldId(field.path);
  return html`<div class=${`field${problems.length ? ' invalid' : ''}`}>
    <label for=${id}>${field.label}</label>
    <select
      id=${id}
      name=${field.path}
      aria-invalid=${problems.length > 0 ? 'true' : undefined}
      aria-describedby=${describedBy(id, field.hint, problems)}
      onChange=${(e) => onInput(e.currentTarget.value)}
    >
      ${field.options.map(([v, label]) => html`<option key=${v} value=${v} selected=${v === value}>${label}</option>`)}
    </select>
    ${field.hint && html`<p id=${`${id}-hint`} class="hint">${field.hint}</p>`}
    <${Problems} id=${id} problems=${problems} />
  </div>`;
}

export function SwitchField({ field, value, onInput, problems = [] }) {
  return html`<${Switch} id=${fieldId(field.path)} label=${field.label} hint=${field.hint} checked=${value} onChange=${onInput} problems=${problems} />`;
}

/** A field by its descriptor's kind. */
export function Field(props) {
  if (props.field.kind === 'switch') return html`<${SwitchField} ...${props} />`;
  if (props.field.kind === 'select') return html`<${SelectField} ...${props} />`;
  return html`<${TextField} ...${props} />`;
}
