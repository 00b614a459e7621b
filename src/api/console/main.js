// The console: set up, test, export and steer integrations in the browser, on the same API as the
// CLI. Preact components written with htm (no build step); the modules and the library are served by
// the API (src/api/routes/console/). The token comes from the URL fragment (never sent to the server)
// or the sign-in form and is kept in this tab's sessionStorage only.
//   #                  the integrations
//   #new               set up an integration
//   #integration=<id>  one integration: test, export, schedule, settings
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { createApi, describeFailure, forgetToken, listIntegrations, readToken, storeToken } from './api.js';
import { html } from './html.js';
import { IntegrationForm } from './integration-form.js';
import { IntegrationList } from './integration-list.js';
import { IntegrationPage } from './integration-page.js';
import { integrationHash } from './links.js';

/** Takes `token` out of the fragment into this tab's storage, so it never stays in the address bar or history. */
function takeTokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (!token) return;
  storeToken(token);
  params.delete('token');
  history.replaceState(null, '', location.pathname + location.search + (params.toString() ? `#${params}` : ''));
}

function currentRoute() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has('new')) return { view: 'new' };
  if (params.get('integration')) return { view: 'integration', id: params.get('integration') };
  return { view: 'list' };
}

function Login({ message, onToken }) {
  const [value, setValue] = useState('');
  return html`<main id="main" class="login">
    <h1 tabindex="-1">Sign in</h1>
    <form
      onSubmit=${(e) => {
        e.preventDefault();
        if (value.trim()) onToken(value.trim());
      }}
    >
      <p>${message ?? 'The console works through the API: enter an API bearer token (one of API_TOKENS). It is kept in this browser tab only.'}</p>
      <div class="field">
        <label for="token">API token</label>
        <input id="token" type="password" autocomplete="off" required value=${value} onInput=${(e) => setValue(e.currentTarget.value)} />
      </div>
      <button type="submit" class="primary">Use token</button>
    </form>
  </main>`;
}

/** What every view needs besides the integrations: the server's today and limits, the catalog, the schemas. */
async function loadContext(api) {
  const [calendar, catalog, schemas] = await Promise.all([
    api.get('/v1/calendar'),
    api.get('/v1/event-types'),
    fetch('/console/schemas.json', { cache: 'no-store' }).then((r) => r.json()),
  ]);
  return {
    today: calendar.today,
    maxDays: calendar.maxDays,
    workflowUrlPrefix: calendar.workflowUrlPrefix,
    worker: calendar.worker,
    catalog,
    schemas,
    tables: schemas.startBackfill.properties.tables.items.anyOf.map((s) => s.const),
  };
}

function App() {
  const [token, setToken] = useState(readToken);
  const [loginMessage, setLoginMessage] = useState(null);
  const [route, setRoute] = useState(currentRoute);
  const [ctx, setCtx] = useState(null);
  const [integrations, setIntegrations] = useState(null);
  const [status, setStatus] = useState({ text: '', error: false });
  const announce = (text, error = false) => setStatus({ text, error });

  const api = useMemo(
    () =>
      token &&
      createApi(token, () => {
        forgetToken();
        setToken(null);
        setLoginMessage('The API refused this token: enter a valid one.');
      }),
    [token],
  );

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const refresh = () => listIntegrations(api).then(setIntegrations);
  useEffect(() => {
    if (!api) return;
    announce('Loading…');
    Promise.all([loadContext(api).then(setCtx), refresh()]).then(
      () => announce(''),
      (err) => announce(`Could not load the console: ${describeFailure(err)}`, true),
    );
  }, [api]);

  // Each view starts at its heading, so keyboard and screen-reader users know where they are.
  useEffect(() => {
    document.querySelector('main h1')?.focus();
  }, [route, ctx !== null && integrations !== null]);

  if (!token) {
    return html`<${Login}
      message=${loginMessage}
      onToken=${(t) => {
        storeToken(t);
        setToken(t);
      }}
    />`;
  }

  const replace = (updated) => setIntegrations((list) => (list ?? []).map((i) => (i.id === updated.id ? updated : i)));
  const ready = ctx !== null && integrations !== null;
  const appIds = [...new Set((integrations ?? []).map((i) => i.appId))];
  let view = null;
  if (ready && route.view === 'list')
    view = html`<${IntegrationList} api=${api} ctx=${ctx} integrations=${integrations} onChanged=${replace} announce=${announce} />`;
  if (ready && route.view === 'new') {
    view = html`<h1 tabindex="-1" class="sr-only">Set up an integration</h1>
      <section class="panel wide">
        <${IntegrationForm}
          api=${api}
          ctx=${ctx}
          integration=${null}
          appIds=${appIds}
          announce=${announce}
          onSaved=${(created) => {
            setIntegrations((list) => [...(list ?? []), created]);
            location.hash = integrationHash(created.id);
          }}
        />
      </section>`;
  }
  if (ready && route.view === 'integration') {
    const found = integrations.find((i) => i.id === route.id);
    view = found
      ? html`<${IntegrationPage} key=${found.id} api=${api} ctx=${ctx} integration=${found} appIds=${appIds} onChanged=${replace} announce=${announce} />`
      : html`<h1 tabindex="-1">No such integration</h1>
          <p>There is no integration ${route.id}. <a href="#">See all integrations</a>.</p>`;
  }

  return html`<a
      class="skip"
      href="#main"
      onClick=${(e) => {
        // The fragment is the console's route: move focus without changing it.
        e.preventDefault();
        document.getElementById('main')?.focus();
      }}
      >Skip to content</a
    >
    <header class="top">
      <p class="brand">ua-export console</p>
      <nav aria-label="Console">
        <a href="#" aria-current=${route.view === 'list' ? 'page' : undefined}>Integrations</a>
        <a href="#new" aria-current=${route.view === 'new' ? 'page' : undefined}>Set up an integration</a>
        <a href="/calendar">Export calendar</a>
        <button
          type="button"
          class="link"
          onClick=${() => {
            forgetToken();
            setToken(null);
            setLoginMessage(null);
          }}
        >
          Forget token
        </button>
      </nav>
    </header>
    ${
      ctx?.worker &&
      !ctx.worker.polling &&
      html`<p class="banner" role="alert">No worker is polling task queue ${ctx.worker.taskQueue}: exports wait until a worker starts.</p>`
    }
    <p id="status" class=${`status${status.error ? ' error' : ''}`} role="status" aria-live="polite">${status.text}</p>
    <main id="main" tabindex="-1">${view}</main>`;
}

takeTokenFromFragment();
render(html`<${App} />`, document.getElementById('app'));
