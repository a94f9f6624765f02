// Deliveries: the filtered list, and one delivery's attempt timeline with "Replay".

import { api, tpath } from '../api.js';
import {
  attemptSummary, badge, code, formStatus, h, replace, setStatus, statusClass, table, time,
} from '../dom.js';

const POLL_MS = 1000;
const enc = encodeURIComponent;

export function deliveryHref(tid, did) {
  return `#/tenants/${enc(tid)}/deliveries/${enc(did)}`;
}

// Columns shared by every delivery table; leave out what the page already shows.
export function deliveryColumns(ctx, { endpoint = true, event = true } = {}) {
  const cols = [
    { label: 'Delivery', cell: (d) => h('a', { href: deliveryHref(ctx.tid, d.id) }, code(d.id)) },
    { label: 'Status', class: 'status-cell', cell: (d) => badge(d.status) },
  ];
  if (event) {
    cols.push({ label: 'Event', cell: (d) => h('span', {}, h('span', { class: 'etype' }, d.event_type), h('br'),
      h('a', { href: `#/tenants/${enc(ctx.tid)}/events/${enc(d.event_id)}` }, code(d.event_id))) });
  }
  if (endpoint) {
    cols.push({ label: 'Endpoint', cell: (d) => h('a', { href: `#/tenants/${enc(ctx.tid)}/endpoints/${enc(d.endpoint_id)}` }, code(d.endpoint_id)) });
  }
  cols.push(
    { label: 'Attempts', cell: (d) => String(d.attempt_count) },
    { label: 'Last attempt', cell: (d) => attemptSummary(d.last_attempt) },
    { label: 'Next attempt', cell: (d) => (d.status === 'pending' ? time(d.next_attempt_at) : h('span', { class: 'muted' }, '—')) },
    { label: 'Updated', cell: (d) => time(d.updated_at) },
  );
  return cols;
}

export async function list(ctx) {
  const filter = {
    status: ctx.query.get('status') || '',
    endpoint_id: ctx.query.get('endpoint_id') || '',
    event_id: ctx.query.get('event_id') || '',
  };
  const [page, eps] = await Promise.all([
    api('GET', tpath(ctx.tid, '/deliveries', { ...filter, limit: 50 })),
    api('GET', tpath(ctx.tid, '/endpoints', { limit: 200 })),
  ]);
  const rows = [...page.data];
  let next = page.next;
  const listBox = h('div', {});
  const more = h('p', {});
  const render = () => {
    replace(listBox, table(deliveryColumns(ctx), rows, { empty: 'No deliveries match.' }));
    replace(more, next ? h('button', { type: 'button', class: 'btn', onclick: async () => {
      const p = await api('GET', tpath(ctx.tid, '/deliveries', { ...filter, limit: 50, after: next }));
      rows.push(...p.data);
      next = p.next;
      render();
    } }, 'Load more') : null);
  };
  render();

  const status = h('select', { id: 'f-status', name: 'status', value: filter.status },
    ['', 'pending', 'succeeded', 'dead'].map((s) => h('option', { value: s }, s || 'any')));
  const endpoint = h('select', { id: 'f-endpoint', name: 'endpoint_id', value: filter.endpoint_id },
    h('option', { value: '' }, 'any'),
    eps.data.map((ep) => h('option', { value: ep.id }, ep.url)),
    filter.endpoint_id && !eps.data.some((ep) => ep.id === filter.endpoint_id)
      ? h('option', { value: filter.endpoint_id }, filter.endpoint_id) : null);
  const eventId = h('input', { id: 'f-event', name: 'event_id', value: filter.event_id, placeholder: 'evt_…', autocomplete: 'off' });
  const form = h('form', { class: 'filters', onsubmit: (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (status.value) q.set('status', status.value);
    if (endpoint.value) q.set('endpoint_id', endpoint.value);
    if (eventId.value.trim()) q.set('event_id', eventId.value.trim());
    ctx.go(`#/tenants/${enc(ctx.tid)}/deliveries${q.toString() ? `?${q}` : ''}`);
  } },
  h('div', { class: 'field' }, h('label', { for: 'f-status' }, 'Status'), status),
  h('div', { class: 'field' }, h('label', { for: 'f-endpoint' }, 'Endpoint'), endpoint),
  h('div', { class: 'field' }, h('label', { for: 'f-event' }, 'Event id'), eventId),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Filter'),
    h('a', { class: 'btn', href: `#/tenants/${enc(ctx.tid)}/deliveries` }, 'Clear')));

  return h('div', {}, h('h1', {}, 'Deliveries'), form, listBox, more);
}

export async function detail(ctx) {
  const did = ctx.params[1];
  const path = tpath(ctx.tid, `/deliveries/${enc(did)}`);
  const first = await api('GET', path);
  const summary = h('div', { class: 'card' });
  const timeline = h('section', { 'aria-labelledby': 'timeline-h' });
  const status = formStatus();
  const replayButton = h('button', { type: 'button', class: 'btn primary', id: 'replay', onclick: async () => {
    replayButton.disabled = true;
    try {
      await api('POST', `${path}/replay`);
      setStatus(status, 'Queued again: watching…', 'ok');
      watch();
    } catch (e) {
      replayButton.disabled = false;
      setStatus(status, `Could not replay: ${e.message}`, 'error');
    }
  } }, 'Replay');

  const render = (d) => {
    replayButton.hidden = d.status === 'pending';
    replayButton.disabled = false;
    replace(summary, h('dl', { class: 'facts' },
      h('dt', {}, 'Status'), h('dd', { id: 'delivery-status' }, badge(d.status),
        d.status === 'pending' ? h('span', { class: 'muted' }, ' · next attempt ', time(d.next_attempt_at)) : null),
      h('dt', {}, 'Event'), h('dd', {}, h('span', { class: 'etype' }, d.event_type), ' ',
        h('a', { href: `#/tenants/${enc(ctx.tid)}/events/${enc(d.event_id)}` }, code(d.event_id))),
      h('dt', {}, 'Endpoint'), h('dd', {}, h('a', { href: `#/tenants/${enc(ctx.tid)}/endpoints/${enc(d.endpoint_id)}` }, code(d.endpoint_id))),
      h('dt', {}, 'Attempts'), h('dd', {}, String(d.attempt_count)),
      h('dt', {}, 'Created'), h('dd', {}, time(d.created_at)),
      h('dt', {}, 'Updated'), h('dd', {}, time(d.updated_at))),
    h('div', { class: 'actions' }, replayButton), status);
    replace(timeline, h('h2', { id: 'timeline-h' }, 'Attempts'), attemptTimeline(d.attempts || []));
  };
  let watching = false;
  const watch = ({ immediate = true } = {}) => {
    if (watching) return;
    watching = true;
    ctx.poll(async () => {
      const d = await api('GET', path);
      if (!ctx.active()) return false;
      render(d);
      if (d.status !== 'pending') {
        ctx.countersChanged();
        setStatus(status, d.status === 'succeeded' ? 'Delivered.' : 'Attempts exhausted: dead letter.',
          d.status === 'succeeded' ? 'ok' : 'error');
        watching = false;
        return false;
      }
      return true;
    }, POLL_MS, { immediate });
  };
  render(first);
  if (first.status === 'pending') {
    setStatus(status, 'Pending: this page follows it.', 'info');
    watch({ immediate: false });
  }
  return h('div', {},
    h('p', { class: 'crumbs' }, h('a', { href: `#/tenants/${enc(ctx.tid)}/deliveries` }, 'Deliveries'), ' / ', did),
    h('h1', {}, 'Delivery'), summary, timeline);
}

// Oldest first, one entry per attempt.
export function attemptTimeline(attempts) {
  if (!attempts.length) return h('p', { class: 'empty' }, 'Not attempted yet.');
  return h('ol', { class: 'timeline' }, attempts.map((a) => {
    const ok = a.status_code >= 200 && a.status_code < 300 && !a.error;
    return h('li', { class: `attempt ${ok ? 'ok' : 'failed'}` },
      h('div', { class: 'attempt-head' },
        h('strong', {}, `#${a.n}`), ' ', time(a.started_at), ' · ',
        h('span', { class: 'duration' }, `${a.duration_ms} ms`), ' · ',
        a.status_code !== null && a.status_code !== undefined
          ? h('span', { class: statusClass(a.status_code) }, `HTTP ${a.status_code}`)
          : h('span', { class: 'code bad' }, 'no response')),
      a.error ? h('div', { class: 'attempt-error' }, h('span', { class: 'err-class' }, a.error),
        a.error_message ? `: ${a.error_message}` : '') : null,
      a.response_excerpt ? h('details', { open: !ok }, h('summary', {}, 'Response excerpt'), h('pre', { class: 'block' }, a.response_excerpt)) : null);
  }));
}
