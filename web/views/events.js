// Events: search (type, id, time range), "send test event", and one event with its deliveries.

import { api, ApiError, tpath } from '../api.js';
import {
  busy, code, formStatus, fromLocalInput, h, prettyJson, replace, setStatus, table, time,
  toLocalInput,
} from '../dom.js';
import { deliveryColumns } from './deliveries.js';

const POLL_MS = 1000;
const enc = encodeURIComponent;
const evHref = (tid, id) => `#/tenants/${enc(tid)}/events/${enc(id)}`;

export async function list(ctx) {
  const q = {
    type: ctx.query.get('type') || '',
    id: ctx.query.get('id') || '',
    since: ctx.query.get('since') || '',
    until: ctx.query.get('until') || '',
  };
  const listBox = h('div', {});
  const more = h('p', {});
  const columns = [
    { label: 'Event', cell: (e) => h('a', { href: evHref(ctx.tid, e.id) }, code(e.id)) },
    { label: 'Type', cell: (e) => h('span', { class: 'etype' }, e.type) },
    { label: 'Created', cell: (e) => time(e.created_at) },
    { label: 'Deliveries', cell: (e) => String(Array.isArray(e.deliveries) ? e.deliveries.length : e.deliveries) },
  ];
  if (q.id) {
    try {
      const ev = await api('GET', tpath(ctx.tid, `/events/${enc(q.id)}`));
      replace(listBox, table(columns, [ev]));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      replace(listBox, h('p', { class: 'empty' }, `No event with id ${q.id}.`));
    }
  } else {
    const filter = { type: q.type, since: q.since, until: q.until };
    const page = await api('GET', tpath(ctx.tid, '/events', { ...filter, limit: 50 }));
    const rows = [...page.data];
    let next = page.next;
    const render = () => {
      replace(listBox, table(columns, rows, { empty: 'No events match.' }));
      replace(more, next ? h('button', { type: 'button', class: 'btn', onclick: async () => {
        const p = await api('GET', tpath(ctx.tid, '/events', { ...filter, limit: 50, after: next }));
        rows.push(...p.data);
        next = p.next;
        render();
      } }, 'Load more') : null);
    };
    render();
  }

  return h('div', {}, h('h1', {}, 'Events'),
    sendForm(ctx),
    h('section', { 'aria-labelledby': 'search-h' }, h('h2', { id: 'search-h' }, 'Search'),
      searchForm(ctx, q), listBox, more));
}

function localValue(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : toLocalInput(d);
}

function searchForm(ctx, q) {
  const type = h('input', { id: 's-type', name: 'type', value: q.type, placeholder: 'order.created', autocomplete: 'off' });
  const id = h('input', { id: 's-id', name: 'id', value: q.id, placeholder: 'evt_…', autocomplete: 'off' });
  const since = h('input', { id: 's-since', name: 'since', type: 'datetime-local', step: 1, value: localValue(q.since) });
  const until = h('input', { id: 's-until', name: 'until', type: 'datetime-local', step: 1, value: localValue(q.until) });
  const status = formStatus();
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    try {
      if (type.value.trim()) p.set('type', type.value.trim());
      if (id.value.trim()) p.set('id', id.value.trim());
      if (since.value) p.set('since', fromLocalInput(since.value));
      if (until.value) p.set('until', fromLocalInput(until.value));
    } catch (err) {
      setStatus(status, err.message, 'error');
      return;
    }
    const target = `#/tenants/${enc(ctx.tid)}/events${p.toString() ? `?${p}` : ''}`;
    if (location.hash === target) ctx.reload();
    else ctx.go(target);
  } },
  h('div', { class: 'field' }, h('label', { for: 's-type' }, 'Type'), type),
  h('div', { class: 'field' }, h('label', { for: 's-id' }, 'Event id'), id),
  h('div', { class: 'field' }, h('label', { for: 's-since' }, 'From'), since),
  h('div', { class: 'field' }, h('label', { for: 's-until' }, 'Until'), until),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Search'),
    h('a', { class: 'btn', href: `#/tenants/${enc(ctx.tid)}/events` }, 'Clear')),
  status);
  return form;
}

function sendForm(ctx) {
  const type = h('input', { id: 't-type', name: 'type', required: true, value: 'test.ping', autocomplete: 'off',
    pattern: '[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*', maxlength: 128 });
  const data = h('textarea', { id: 't-data', name: 'data', rows: 4, spellcheck: 'false',
    value: '{\n  "hello": "world"\n}' });
  const status = formStatus();
  const form = h('form', { class: 'grid-form', onsubmit: async (e) => {
    e.preventDefault();
    let payload;
    try {
      payload = JSON.parse(data.value || 'null');
    } catch (err) {
      setStatus(status, `Data is not JSON: ${err.message}`, 'error');
      data.focus();
      return;
    }
    try {
      const ev = await busy(form, () => api('POST', tpath(ctx.tid, '/events'), { type: type.value.trim(), data: payload }));
      ctx.toast(`Sent ${ev.id} to ${ev.deliveries} endpoint${ev.deliveries === 1 ? '' : 's'}.`, 'ok');
      ctx.go(evHref(ctx.tid, ev.id));
    } catch (err) {
      setStatus(status, `Could not send: ${err.message}`, 'error');
    }
  } },
  h('div', { class: 'field' }, h('label', { for: 't-type' }, 'Type'), type),
  h('div', { class: 'field wide' }, h('label', { for: 't-data' }, 'Data (JSON)'), data),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Send test event')),
  status);
  // Ctrl/Cmd+Enter sends from the textarea (plain Enter adds a line there).
  data.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
  return h('section', { class: 'card', 'aria-labelledby': 'send-h' },
    h('h2', { id: 'send-h' }, 'Send a test event'), form);
}

export async function detail(ctx) {
  const evid = ctx.params[1];
  const path = tpath(ctx.tid, `/events/${enc(evid)}`);
  const ev = await api('GET', path);
  const deliveriesBox = h('div', {});
  const watchNote = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const renderDeliveries = (list) => {
    replace(deliveriesBox, table(deliveryColumns(ctx, { event: false }), list,
      { empty: 'This event matched no enabled endpoint, so nothing was sent.' }));
    const pending = list.filter((d) => d.status === 'pending').length;
    watchNote.textContent = pending ? `${pending} pending: updating…` : 'All deliveries finished.';
    if (!pending) ctx.countersChanged();
    return pending;
  };
  const list = Array.isArray(ev.deliveries) ? ev.deliveries : [];
  if (renderDeliveries(list)) {
    ctx.poll(async () => {
      const fresh = await api('GET', path);
      if (!ctx.active()) return false;
      return renderDeliveries(Array.isArray(fresh.deliveries) ? fresh.deliveries : []) > 0;
    }, POLL_MS, { immediate: false });
  }
  return h('div', {},
    h('p', { class: 'crumbs' }, h('a', { href: `#/tenants/${enc(ctx.tid)}/events` }, 'Events'), ' / ', ev.id),
    h('h1', {}, 'Event'),
    h('div', { class: 'card' }, h('dl', { class: 'facts' },
      h('dt', {}, 'Id'), h('dd', {}, code(ev.id)),
      h('dt', {}, 'Type'), h('dd', {}, h('span', { class: 'etype' }, ev.type)),
      h('dt', {}, 'Created'), h('dd', {}, time(ev.created_at)),
      ev.idempotency_key ? [h('dt', {}, 'Idempotency key'), h('dd', {}, code(ev.idempotency_key))] : null),
    h('h2', {}, 'Data'), h('pre', { class: 'block' }, prettyJson(ev.data))),
    h('section', { 'aria-labelledby': 'ev-deliveries' },
      h('h2', { id: 'ev-deliveries' }, 'Deliveries'), watchNote, deliveriesBox));
}
