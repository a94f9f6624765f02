// The dead-letter queue: failed deliveries with "Replay" per row (followed until it settles),
// and "Recover all since…" per endpoint with progress.

import { api, tpath } from '../api.js';
import { attemptSummary, badge, code, h, replace, time } from '../dom.js';
import { listRegion, queryKey } from '../list_region.js';
import { deliveryHref } from './deliveries.js';
import { recoverForm } from './recover.js';

const POLL_MS = 700;
const enc = encodeURIComponent;

// Choosing an endpoint changes the URL; the page answers by reloading only the queue and the
// recover forms below it (onQuery), so the focus stays on the chooser.
export async function list(ctx) {
  const eps = await api('GET', tpath(ctx.tid, '/endpoints', { limit: 200 }));
  const urls = new Map(eps.data.map((ep) => [ep.id, ep.url]));
  const columns = [
    { label: 'Delivery', cell: (d) => h('a', { href: deliveryHref(ctx.tid, d.id) }, code(d.id)) },
    { label: 'Event', cell: (d) => h('span', {}, h('span', { class: 'etype' }, d.event_type), h('br'),
      h('a', { href: `#/tenants/${enc(ctx.tid)}/events/${enc(d.event_id)}` }, code(d.event_id))) },
    { label: 'Endpoint', cell: (d) => h('a', { href: `#/tenants/${enc(ctx.tid)}/endpoints/${enc(d.endpoint_id)}`, class: 'url' },
      urls.get(d.endpoint_id) ?? d.endpoint_id) },
    { label: 'Attempts', cell: (d) => String(d.attempt_count) },
    { label: 'Last error', cell: (d) => attemptSummary(d.last_attempt) },
    { label: 'Dead since', cell: (d) => time(d.updated_at) },
    { label: 'Status', class: 'status-cell', cell: (d) => badge(d.status) },
    { label: 'Action', cell: (d) => replayButton(ctx, d) },
  ];
  const heading = h('h2', { id: 'dl-list' });
  const region = listRegion(ctx, {
    id: 'dead-letters-list', columns, pageSize: 100,
    empty: 'No dead letters. Everything was delivered or is still being tried.',
    fetchPage: (q, page) => api('GET', tpath(ctx.tid, '/dead-letters', { ...q, ...page })),
    onRender: (rows, next) => {
      heading.textContent = `${rows.length}${next ? '+' : ''} dead letter${rows.length === 1 ? '' : 's'}`;
    },
  });
  let endpointId = ctx.query.get('endpoint_id') || '';
  await region.show({ endpoint_id: endpointId }, { throwErrors: true });

  const select = h('select', { id: 'dl-endpoint', name: 'endpoint_id' },
    h('option', { value: '' }, 'all endpoints'),
    eps.data.map((ep) => h('option', { value: ep.id }, ep.url)));
  select.value = endpointId;
  const filter = h('form', { class: 'filters', 'aria-controls': 'dead-letters-list', onsubmit: (e) => {
    e.preventDefault();
    const target = `#/tenants/${enc(ctx.tid)}/dead-letters${select.value ? `?endpoint_id=${enc(select.value)}` : ''}`;
    showFor(select.value);
    if (location.hash !== target) ctx.go(target);
  } }, h('div', { class: 'field' }, h('label', { for: 'dl-endpoint' }, 'Endpoint'), select),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, 'Show')));

  // After a recovery: the queue as it is now.
  const refresh = () => region.show({ endpoint_id: endpointId });
  const recoverBox = h('div', {});
  const renderRecover = () => {
    const recoverable = endpointId ? eps.data.filter((ep) => ep.id === endpointId) : eps.data;
    replace(recoverBox, recoverable.length
      ? h('ul', { class: 'recover-list' }, recoverable.map((ep) => h('li', {},
        h('div', { class: 'url' }, ep.url, ' ', code(ep.id)),
        ep.disabled ? h('p', { class: 'warn-text' }, 'This endpoint is disabled: recovered deliveries wait until it is enabled.') : null,
        recoverForm(ctx, ep, { onDone: refresh }))))
      : h('p', { class: 'empty' }, 'No endpoints.'));
  };
  renderRecover();
  const showFor = (id) => {
    if (id !== endpointId) {
      endpointId = id;
      renderRecover();
    }
    return region.show({ endpoint_id: endpointId });
  };

  const node = h('div', {},
    h('h1', {}, 'Dead letters'),
    h('p', { class: 'muted' }, 'Deliveries whose attempts are exhausted. Fix the receiver, then replay them one by one or recover an endpoint\u2019s dead letters in bulk.'),
    filter,
    h('section', { 'aria-labelledby': 'dl-list' }, heading, region.node),
    h('section', { class: 'card', 'aria-labelledby': 'recover-all' },
      h('h2', { id: 'recover-all' }, 'Recover by endpoint'), recoverBox));
  // Back/forward or a link (this page's own filter has already shown its query).
  node.onQuery = (query) => {
    const id = query.get('endpoint_id') || '';
    if (queryKey({ endpoint_id: id }) === region.current()) return null;
    select.value = id;
    return showFor(id);
  };
  return node;
}

// Replays one dead letter and follows it in its row until it succeeds or dies again.
function replayButton(ctx, delivery) {
  const button = h('button', { type: 'button', class: 'btn small primary', 'data-replay': delivery.id,
    'aria-label': `Replay ${delivery.id}` }, 'Replay');
  button.addEventListener('click', async () => {
    button.disabled = true;
    const row = button.closest('tr');
    const cell = row.querySelector('.status-cell');
    try {
      await api('POST', tpath(ctx.tid, `/deliveries/${enc(delivery.id)}/replay`));
    } catch (e) {
      button.disabled = false;
      replace(cell, h('span', { class: 'error-text' }, e.message));
      return;
    }
    button.textContent = 'Replayed';
    replace(cell, badge('pending'));
    ctx.poll(async () => {
      const d = await api('GET', tpath(ctx.tid, `/deliveries/${enc(delivery.id)}`));
      replace(cell, badge(d.status));
      if (d.status === 'pending') return true;
      row.classList.add(d.status === 'succeeded' ? 'row-ok' : 'row-bad');
      ctx.countersChanged();
      if (d.status === 'dead') {
        button.textContent = 'Replay';
        button.disabled = false;
      }
      return false;
    }, POLL_MS);
  });
  return button;
}
