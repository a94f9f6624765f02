// Deliveries: the filtered list, and one delivery's attempt timeline with "Replay".

import { api, tpath } from '../api.js';
import {
  attemptSummary, badge, code, formStatus, h, replace, setStatus, statusClass, time,
} from '../dom.js';
import { listRegion, queryKey } from '../list_region.js';

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

const REFRESH_MS = 2500;
const FILTER_KEYS = ['status', 'endpoint_id', 'event_id'];

function filterOf(query) {
  return Object.fromEntries(FILTER_KEYS.map((k) => [k, query.get(k) || '']));
}

// The filter form stays put while the list below it loads and refreshes: applying a filter
// changes the URL, and the page answers by reloading only the list (onQuery).
export async function list(ctx) {
  const eps = await api('GET', tpath(ctx.tid, '/endpoints', { limit: 200 }));
  const region = listRegion(ctx, {
    id: 'deliveries-list',
    columns: deliveryColumns(ctx),
    empty: 'No deliveries match.',
    refreshMs: REFRESH_MS,
    fetchPage: (filter, page) => api('GET', tpath(ctx.tid, '/deliveries', { ...filter, ...page })),
  });
  const initial = filterOf(ctx.query);
  await region.show(initial, { throwErrors: true });

  const status = h('select', { id: 'f-status', name: 'status', value: initial.status },
    ['', 'pending', 'succeeded', 'dead'].map((s) => h('option', { value: s }, s || 'any')));
  const endpoint = h('select', { id: 'f-endpoint', name: 'endpoint_id' },
    h('option', { value: '' }, 'any'),
    eps.data.map((ep) => h('option', { value: ep.id }, ep.url)));
  const eventId = h('input', { id: 'f-event', name: 'event_id', value: initial.event_id, placeholder: 'evt_…', autocomplete: 'off' });
  // Shows `filter` in the form (an endpoint id not in the list gets an option of its own).
  const fill = (filter) => {
    if (filter.endpoint_id && ![...endpoint.options].some((o) => o.value === filter.endpoint_id)) {
      endpoint.append(h('option', { value: filter.endpoint_id }, filter.endpoint_id));
    }
    status.value = filter.status;
    endpoint.value = filter.endpoint_id;
    eventId.value = filter.event_id;
  };
  fill(initial);
  const base = `#/tenants/${enc(ctx.tid)}/deliveries`;
  // Applying a filter loads the list right away and puts the filter in the URL (for links,
  // reloads and back/forward); onQuery then finds the list already on it.
  const form = h('form', { class: 'filters', role: 'search', 'aria-controls': 'deliveries-list', onsubmit: (e) => {
    e.preventDefault();
    const filter = { status: status.value, endpoint_id: endpoint.value, event_id: eventId.value.trim() };
    region.show(filter);
    const q = queryKey(filter);
    const target = `${base}${q ? `?${q}` : ''}`;
    if (location.hash !== target) ctx.go(target);
  } },
  h('div', { class: 'field' }, h('label', { for: 'f-status' }, 'Status'), status),
  h('div', { class: 'field' }, h('label', { for: 'f-endpoint' }, 'Endpoint'), endpoint),
  h('div', { class: 'field' }, h('label', { for: 'f-event' }, 'Event id'), eventId),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Filter'),
    h('a', { class: 'btn', href: base, onclick: (e) => {
      // Cleared here, not when the URL changes: what is typed next must stay.
      e.preventDefault();
      fill(filterOf(new URLSearchParams()));
      form.requestSubmit();
    } }, 'Clear')));

  const node = h('div', {}, h('h1', {}, 'Deliveries'), form, region.node);
  // The URL's query changed. After this form's own submit the list is already on it (and the
  // form keeps anything typed since); after back/forward or a link, the form follows the URL.
  node.onQuery = (query) => {
    const filter = filterOf(query);
    if (queryKey(filter) === region.current()) return null;
    fill(filter);
    return region.show(filter);
  };
  return node;
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
