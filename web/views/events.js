// Events: search (type, id, time range), "send test event", and one event with its deliveries.

import { api, ApiError, tpath } from '../api.js';
import {
  busy, code, formStatus, fromLocalInput, h, prettyJson, replace, setStatus, table, time,
  toLocalInput,
} from '../dom.js';
import { listRegion, queryKey } from '../list_region.js';
import { deliveryColumns } from './deliveries.js';

const POLL_MS = 1000;
const enc = encodeURIComponent;
const evHref = (tid, id) => `#/tenants/${enc(tid)}/events/${enc(id)}`;

const SEARCH_KEYS = ['type', 'id', 'since', 'until'];

function searchOf(query) {
  return Object.fromEntries(SEARCH_KEYS.map((k) => [k, query.get(k) || '']));
}

// One page of the search: by id it is that event or nothing.
async function fetchEvents(ctx, q, page) {
  if (!q.id) {
    return api('GET', tpath(ctx.tid, '/events', { type: q.type, since: q.since, until: q.until, ...page }));
  }
  try {
    return { data: [await api('GET', tpath(ctx.tid, `/events/${enc(q.id)}`))], next: null };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    return { data: [], next: null, empty: `No event with id ${q.id}.` };
  }
}

// A search changes the URL; the page answers by reloading only the results (onQuery), so
// the "send a test event" form above keeps what was typed into it.
export async function list(ctx) {
  const columns = [
    { label: 'Event', cell: (e) => h('a', { href: evHref(ctx.tid, e.id) }, code(e.id)) },
    { label: 'Type', cell: (e) => h('span', { class: 'etype' }, e.type) },
    { label: 'Created', cell: (e) => time(e.created_at) },
    { label: 'Deliveries', cell: (e) => String(Array.isArray(e.deliveries) ? e.deliveries.length : e.deliveries) },
  ];
  const region = listRegion(ctx, {
    id: 'events-list', columns, empty: 'No events match.',
    fetchPage: (q, page) => fetchEvents(ctx, q, page),
  });
  const initial = searchOf(ctx.query);
  await region.show(initial, { throwErrors: true });
  const search = searchForm(ctx, initial, region);
  const node = h('div', {}, h('h1', {}, 'Events'),
    sendForm(ctx),
    h('section', { 'aria-labelledby': 'search-h' }, h('h2', { id: 'search-h' }, 'Search'),
      search.form, region.node));
  node.onQuery = (query) => {
    const q = searchOf(query);
    if (queryKey(q) === region.current()) return null;  // this page's own search
    search.follow(q);
    return region.show(q);
  };
  return node;
}

function localValue(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : toLocalInput(d);
}

function searchForm(ctx, q, region) {
  const type = h('input', { id: 's-type', name: 'type', value: q.type, placeholder: 'order.created', autocomplete: 'off' });
  const id = h('input', { id: 's-id', name: 'id', value: q.id, placeholder: 'evt_…', autocomplete: 'off' });
  const since = h('input', { id: 's-since', name: 'since', type: 'datetime-local', step: 1, value: localValue(q.since) });
  const until = h('input', { id: 's-until', name: 'until', type: 'datetime-local', step: 1, value: localValue(q.until) });
  const status = formStatus();
  const form = h('form', { class: 'filters', role: 'search', 'aria-controls': 'events-list', onsubmit: (e) => {
    e.preventDefault();
    let key;
    try {
      key = queryKey({
        type: type.value.trim(), id: id.value.trim(),
        since: fromLocalInput(since.value), until: fromLocalInput(until.value),
      });
    } catch (err) {
      setStatus(status, err.message, 'error');
      return;
    }
    setStatus(status, '');
    // The results load right away; the URL follows (onQuery then finds them already on it).
    region.show(searchOf(new URLSearchParams(key)));
    const target = `#/tenants/${enc(ctx.tid)}/events${key ? `?${key}` : ''}`;
    if (location.hash !== target) ctx.go(target);
  } },
  h('div', { class: 'field' }, h('label', { for: 's-type' }, 'Type'), type),
  h('div', { class: 'field' }, h('label', { for: 's-id' }, 'Event id'), id),
  h('div', { class: 'field' }, h('label', { for: 's-since' }, 'From'), since),
  h('div', { class: 'field' }, h('label', { for: 's-until' }, 'Until'), until),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Search'),
    h('a', { class: 'btn', href: `#/tenants/${enc(ctx.tid)}/events`, onclick: (e) => {
      // Cleared here, not when the URL changes: what is typed next must stay.
      e.preventDefault();
      for (const input of [type, id, since, until]) input.value = '';
      setStatus(status, '');
      form.requestSubmit();
    } }, 'Clear')),
  status);
  // Back/forward or a link: the form shows the URL's query.
  const follow = (query) => {
    type.value = query.type;
    id.value = query.id;
    since.value = localValue(query.since);
    until.value = localValue(query.until);
  };
  return { form, follow };
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
