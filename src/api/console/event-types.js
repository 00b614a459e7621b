// The event catalog as GET /v1/event-types groups it: "all types, including ones added later" (the
// API's null), or a chosen list with a toggle per group and per type.
import { html } from './html.js';
import { Problems, Switch } from './controls.js';

export function EventTypesPicker({ catalog, value, onChange, problems = [] }) {
  const all = value === null;
  const chosen = new Set(value ?? catalog.types);
  // Catalog order, so the same choice always gives the same list.
  const set = (types, on) => {
    const next = new Set(chosen);
    for (const t of types) on ? next.add(t) : next.delete(t);
    onChange(catalog.types.filter((t) => next.has(t)));
  };
  return html`<fieldset class=${`event-types${problems.length ? ' invalid' : ''}`} aria-describedby=${problems.length ? 'event-types-error' : undefined}>
    <legend>Event types</legend>
    <${Switch}
      id="event-types-all"
      label="All types, including ones added later"
      hint="Types added to the catalog later are exported too. Turn off to choose groups and types."
      checked=${all}
      onChange=${(on) => onChange(on ? null : [...catalog.types])}
    />
    ${
      !all &&
      html`<div class="groups">
        ${catalog.groups.map((g) => {
          const n = g.types.filter((t) => chosen.has(t)).length;
          return html`<fieldset class="group" key=${g.group}>
            <legend>${g.label}</legend>
            <${Switch}
              id=${`group-${g.group}`}
              label=${`All ${g.label.toLowerCase()} (${n} of ${g.types.length})`}
              checked=${n === g.types.length}
              mixed=${n > 0 && n < g.types.length}
              onChange=${(on) => set(g.types, on)}
            />
            <ul class="types">
              ${g.types.map(
                (t) => html`<li key=${t}><${Switch} id=${`type-${t}`} label=${t} checked=${chosen.has(t)} onChange=${(on) => set([t], on)} /></li>`,
              )}
            </ul>
          </fieldset>`;
        })}
      </div>`
    }
    <${Problems} id="event-types" problems=${problems} />
  </fieldset>`;
}
