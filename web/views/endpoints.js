// A tenant's endpoints: health, enable/disable, secret, create; and one endpoint's page.

import { api, tpath } from '../api.js';
import {
  add, badge, busy, code, formStatus, h, replace, rerender, setStatus, table, time,
} from '../dom.js';
import { deliveryColumns } from './deliveries.js';
import { endpointHealth, healthCell, lastErrorCell } from './health.js';
import { recoverForm } from './recover.js';

const epHref = (tid, eid) => `#/tenants/${encodeURIComponent(tid)}/endpoints/${encodeURIComponent(eid)}`;

export async function list(ctx) {
  const page = await api('GET', tpath(ctx.tid, '/endpoints', { limit: 200 }));
  const endpoints = page.data;
  const listBox = h('div', {});

  const columns = [
    { label: 'Endpoint', cell: (ep) => h('div', {},
      h('a', { href: epHref(ctx.tid, ep.id), class: 'url' }, ep.url),
      ep.description ? h('div', { class: 'muted' }, ep.description) : null,
      h('div', {}, code(ep.id))) },
    { label: 'State', class: 'state-cell', cell: (ep) => stateCell(ep) },
    { label: 'Health', class: 'health-cell', cell: () => h('span', { class: 'muted' }, '…') },
    { label: 'Last error', class: 'error-cell', cell: () => h('span', { class: 'muted' }, '…') },
    { label: 'Actions', cell: (ep) => actions(ctx, ep, () => refreshList(ctx)) },
  ];
  replace(listBox, table(columns, endpoints, { empty: 'No endpoints yet: add one above.' }));
  fillHealth(ctx, listBox, endpoints);

  const createBox = createForm(ctx, !endpoints.length);
  return h('div', {},
    h('h1', {}, 'Endpoints'),
    createBox,
    h('section', { 'aria-labelledby': 'ep-list' },
      h('h2', { id: 'ep-list' }, `${endpoints.length}${page.next ? '+' : ''} endpoint${endpoints.length === 1 ? '' : 's'}`),
      listBox));
}

// Health cells load after the table shows, one request per endpoint, in parallel.
function fillHealth(ctx, listBox, endpoints) {
  const rows = listBox.querySelectorAll('tbody tr');
  endpoints.forEach((ep, i) => {
    const row = rows[i];
    endpointHealth(ctx.tid, ep.id).then((health) => {
      if (!ctx.active()) return;
      replace(row.querySelector('.health-cell'), healthCell(health));
      replace(row.querySelector('.error-cell'), lastErrorCell(health, ctx.tid));
    }, (e) => {
      replace(row.querySelector('.health-cell'), h('span', { class: 'error-text' }, e.message));
    });
  });
}

// Enabled/disabled (with the reason), and "operational" for an endpoint that receives the
// delivery system's own events (the field may be absent: older servers do not send it), and
// the client certificate (shown separately on the endpoint page).
function stateCell(ep, { withCertificate = true } = {}) {
  const cert = withCertificate ? clientCertificate(ep) : null;
  const operational = ep.operational === true
    ? [' ', h('span', { class: 'badge badge-operational', title: 'Receives events about the delivery system itself' }, 'operational')]
    : null;
  if (!ep.disabled) return h('span', {}, badge('enabled'), operational, cert);
  return h('span', {}, badge('disabled'), operational,
    ep.disabled_reason ? h('div', { class: 'reason' }, ep.disabled_reason) : null, cert);
}

// The endpoint's client certificate (mutual TLS): its subject and expiry, flagged when it
// expires within 14 days or has expired, so it is renewed in time. Null without one.
const CERT_WARNING_MS = 14 * 24 * 3600 * 1000;
function clientCertificate(ep, now = Date.now()) {
  if (!ep.tls_client_certificate_expires_at) return null;
  const left = Date.parse(ep.tls_client_certificate_expires_at) - now;
  let flag = null;
  if (left <= 0) {
    flag = h('span', { class: 'badge badge-dead', 'data-key': 'cert-expired' }, 'certificate expired');
  } else if (left <= CERT_WARNING_MS) {
    flag = h('span', { class: 'badge badge-pending', 'data-key': 'cert-expiring',
      title: 'The client certificate expires within 14 days: PATCH a new certificate and key' },
    'certificate expires soon');
  }
  return h('div', { class: 'client-cert' }, 'Client certificate ',
    code(ep.tls_client_certificate_subject || '?'), ', expires ', time(ep.tls_client_certificate_expires_at),
    flag ? [' ', flag] : null);
}

// onChanged: after enable/disable, shows the endpoint's new state without reloading the page
// (which would throw away what is typed in the page's forms).
function actions(ctx, ep, onChanged) {
  const box = h('div', { class: 'row-actions' });
  const secretBox = h('div', { class: 'secret-box' });
  // aria-disabled rather than disabled while it works: a disabled button would drop the focus.
  const toggle = h('button', { type: 'button', class: 'btn small', 'data-key': 'toggle', onclick: async () => {
    if (toggle.getAttribute('aria-disabled') === 'true') return;
    toggle.setAttribute('aria-disabled', 'true');
    try {
      await api('PATCH', tpath(ctx.tid, `/endpoints/${encodeURIComponent(ep.id)}`), { disabled: !ep.disabled });
    } catch (e) {
      toggle.removeAttribute('aria-disabled');
      ctx.toast(`Could not change the endpoint: ${e.message}`, 'error');
      return;
    }
    ctx.toast(`Endpoint ${ep.disabled ? 'enabled' : 'disabled'}.`, 'ok');
    onChanged().catch(() => ctx.reload());
  } }, ep.disabled ? 'Enable' : 'Disable');
  add(box, [toggle, secretButton(ctx, ep, secretBox),
    h('a', { class: 'btn small', href: `#/tenants/${encodeURIComponent(ctx.tid)}/deliveries?endpoint_id=${encodeURIComponent(ep.id)}` }, 'Deliveries'),
    h('a', { class: 'btn small', href: `#/tenants/${encodeURIComponent(ctx.tid)}/dead-letters?endpoint_id=${encodeURIComponent(ep.id)}` }, 'Dead letters')]);
  return h('div', {}, box, secretBox);
}

function secretButton(ctx, ep, box) {
  let shown = false;
  const button = h('button', { type: 'button', class: 'btn small', 'aria-expanded': 'false', onclick: async () => {
    if (shown) {
      replace(box);
      shown = false;
      button.textContent = 'Show secret';
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    try {
      const { secret } = await api('GET', tpath(ctx.tid, `/endpoints/${encodeURIComponent(ep.id)}/secret`));
      replace(box, h('span', { class: 'secret' }, 'Signing secret: ', h('code', { class: 'secret-value' }, secret)));
      shown = true;
      button.textContent = 'Hide secret';
      button.setAttribute('aria-expanded', 'true');
    } catch (e) {
      replace(box, h('span', { class: 'error-text' }, e.message));
    }
  } }, 'Show secret');
  return button;
}

function createForm(ctx, open) {
  const f = (id, label, input, hint) => h('div', { class: 'field' },
    h('label', { for: id }, label, hint ? h('span', { class: 'muted' }, ` ${hint}`) : null), input);
  const url = h('input', { id: 'ep-url', name: 'url', type: 'url', required: true, placeholder: 'https://example.com/webhooks', autocomplete: 'off' });
  const description = h('input', { id: 'ep-description', name: 'description', autocomplete: 'off' });
  const types = h('input', { id: 'ep-types', name: 'event_types', placeholder: 'order.created, invoice.*', autocomplete: 'off' });
  const ordering = h('select', { id: 'ep-ordering', name: 'ordering' },
    h('option', { value: 'parallel' }, 'parallel'), h('option', { value: 'fifo' }, 'fifo (one at a time, in order)'));
  const maxInFlight = h('input', { id: 'ep-max', name: 'max_in_flight', type: 'number', min: 1, step: 1 });
  const rate = h('input', { id: 'ep-rate', name: 'rate_limit', type: 'number', min: 0, step: 'any' });
  const status = formStatus();
  const result = h('div', {});
  const form = h('form', { class: 'grid-form', onsubmit: async (e) => {
    e.preventDefault();
    const body = { url: url.value.trim(), ordering: ordering.value };
    if (description.value.trim()) body.description = description.value.trim();
    const list = types.value.split(',').map((t) => t.trim()).filter(Boolean);
    if (list.length) body.event_types = list;
    if (maxInFlight.value) body.max_in_flight = Number(maxInFlight.value);
    if (rate.value) body.rate_limit = Number(rate.value);
    try {
      const ep = await busy(form, () => api('POST', tpath(ctx.tid, '/endpoints'), body));
      form.reset();
      await refreshList(ctx);
      setStatus(status, 'Endpoint created.', 'ok');
      replace(result, h('div', { class: 'alert ok created-endpoint', role: 'status' },
        h('p', {}, 'Created ', h('a', { href: epHref(ctx.tid, ep.id) }, ep.url), ' (', code(ep.id), ').'),
        h('p', {}, 'Signing secret: ', h('code', { class: 'secret-value' }, ep.secret)),
        h('p', { class: 'muted' }, 'Receivers verify X-Axon-Signature / webhook-signature with it.')));
    } catch (err) {
      setStatus(status, `Could not create the endpoint: ${err.message}`, 'error');
    }
  } },
  f('ep-url', 'URL', url),
  f('ep-description', 'Description', description, '(optional)'),
  f('ep-types', 'Event types', types, '(comma-separated; empty = all)'),
  f('ep-ordering', 'Ordering', ordering),
  f('ep-max', 'Max in flight', maxInFlight, '(optional)'),
  f('ep-rate', 'Rate limit / s', rate, '(optional)'),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Create endpoint')),
  status);
  return h('details', { class: 'card', open },
    h('summary', {}, h('h2', { class: 'summary-title' }, 'New endpoint')), form, result);
}

// Re-renders the list below the form without losing the "created" message, what is typed in
// the form, or the focus (back on the same control of the same row).
async function refreshList(ctx) {
  const fresh = await list(ctx);
  const old = document.querySelector('section[aria-labelledby="ep-list"]');
  if (!ctx.active() || !old) return;
  const section = fresh.querySelector('section[aria-labelledby="ep-list"]');
  rerender(old, () => old.replaceChildren(...section.childNodes));
}

export async function detail(ctx) {
  const eid = ctx.params[1];
  const ep = await api('GET', tpath(ctx.tid, `/endpoints/${encodeURIComponent(eid)}`));
  const recent = await api('GET', tpath(ctx.tid, '/deliveries', { endpoint_id: eid, limit: 20 }));
  const health = h('dd', {}, '…');
  const lastError = h('dd', {}, '…');
  endpointHealth(ctx.tid, eid).then((hl) => {
    replace(health, healthCell(hl));
    replace(lastError, lastErrorCell(hl, ctx.tid));
  }, (e) => replace(health, e.message));

  const secretBox = h('div', { class: 'secret-box' });
  const state = h('span', {}, stateCell(ep, { withCertificate: false }));
  const actionsBox = h('div', { class: 'row-actions' });
  const fields = [
    ['Id', code(ep.id)],
    ['URL', h('span', { class: 'url' }, ep.url)],
    ['Description', ep.description || h('span', { class: 'muted' }, '—')],
    ['State', state],
    ['Event types', ep.event_types && ep.event_types.length ? ep.event_types.join(', ') : 'all'],
    ['Custom headers', Object.keys(ep.headers || {}).length
      ? Object.entries(ep.headers).map(([k, v]) => h('div', {}, code(`${k}: ${v}`))) : 'none'],
    ['Ordering', ep.ordering],
    ['Max in flight', ep.max_in_flight ? String(ep.max_in_flight) : 'unlimited'],
    ['Rate limit', ep.rate_limit ? `${ep.rate_limit} / s` : 'none'],
    ['Client certificate', clientCertificate(ep) || h('span', { class: 'muted' }, 'none')],
    ['Created', time(ep.created_at)],
    ['Updated', time(ep.updated_at)],
  ];
  const rotate = h('button', { type: 'button', class: 'btn small', onclick: async () => {
    if (!window.confirm('Rotate the signing secret? The old one keeps signing for 24 hours.')) return;
    try {
      const { secret } = await api('POST', tpath(ctx.tid, `/endpoints/${encodeURIComponent(eid)}/rotate-secret`));
      replace(secretBox, h('span', { class: 'secret' }, 'New signing secret: ', h('code', { class: 'secret-value' }, secret)));
    } catch (e) {
      ctx.toast(`Could not rotate: ${e.message}`, 'error');
    }
  } }, 'Rotate secret');

  const showActions = (current) => replace(actionsBox, actions(ctx, current, async () => {
    const fresh = await api('GET', tpath(ctx.tid, `/endpoints/${encodeURIComponent(eid)}`));
    if (!ctx.active()) return;
    replace(state, stateCell(fresh, { withCertificate: false }));
    rerender(actionsBox, () => showActions(fresh));
  }), rotate);
  showActions(ep);

  return h('div', {},
    h('p', { class: 'crumbs' }, h('a', { href: `#/tenants/${encodeURIComponent(ctx.tid)}/endpoints` }, 'Endpoints'), ' / ', ep.id),
    h('h1', {}, 'Endpoint'),
    h('div', { class: 'card' },
      h('dl', { class: 'facts' }, fields.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
        h('dt', {}, 'Health'), health, h('dt', {}, 'Last error'), lastError),
      actionsBox, secretBox),
    h('section', { class: 'card', 'aria-labelledby': 'recover-h' },
      h('h2', { id: 'recover-h' }, 'Recover dead letters'),
      recoverForm(ctx, ep)),
    h('section', { 'aria-labelledby': 'recent-h' },
      h('h2', { id: 'recent-h' }, 'Recent deliveries'),
      table(deliveryColumns(ctx, { endpoint: false }), recent.data, { empty: 'No deliveries to this endpoint yet.' }),
      h('p', {}, h('a', { href: `#/tenants/${encodeURIComponent(ctx.tid)}/deliveries?endpoint_id=${encodeURIComponent(eid)}` }, 'All deliveries to this endpoint →'))));
}
