// "Recover all since…" for one endpoint: POST …/recover {since} answers {replayed}; progress
// is then followed by polling that endpoint's pending deliveries until none is left.

import { api, listAll, tpath } from '../api.js';
import { fromLocalInput, h, replace, toLocalInput } from '../dom.js';

const POLL_MS = 700;

export function recoverForm(ctx, endpoint, { onDone } = {}) {
  const id = `since-${endpoint.id}`;
  const since = h('input', { id, name: 'since', type: 'datetime-local', step: 1, required: true,
    value: toLocalInput(new Date(Date.now() - 24 * 3600 * 1000)) });
  const progress = h('div', { class: 'recover-progress', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'btn' }, 'Recover all since…');
  const form = h('form', { class: 'recover-form', 'data-endpoint': endpoint.id, onsubmit: async (e) => {
    e.preventDefault();
    let iso;
    try {
      iso = fromLocalInput(since.value);
    } catch (err) {
      replace(progress, h('span', { class: 'error-text' }, err.message));
      return;
    }
    button.disabled = true;
    try {
      await recover(ctx, endpoint, iso, progress);
      if (onDone) onDone();
    } catch (err) {
      replace(progress, h('span', { class: 'error-text' }, `Recover failed: ${err.message}`));
    } finally {
      button.disabled = false;
    }
  } },
  h('label', { for: id }, 'Dead letters created since'), ' ', since, ' ', button, progress);
  return form;
}

async function recover(ctx, endpoint, since, progress) {
  replace(progress, 'Queuing dead letters again…');
  const { replayed } = await api('POST', tpath(ctx.tid, `/endpoints/${encodeURIComponent(endpoint.id)}/recover`), { since });
  if (!replayed) {
    replace(progress, h('span', { class: 'done' }, 'Nothing to recover: no dead letters since then.'));
    return;
  }
  const bar = h('progress', { max: replayed, value: 0 });
  const text = h('span', { class: 'progress-text' });
  replace(progress, bar, ' ', text);
  await ctx.poll(async () => {
    const pending = await listAll(tpath(ctx.tid, '/deliveries'), { status: 'pending', endpoint_id: endpoint.id });
    const left = Math.min(replayed, pending.items.length);
    const done = replayed - left;
    bar.value = done;
    text.textContent = `${done} of ${replayed} replayed deliveries done · ${left} pending`;
    if (left > 0) return true;
    const dead = await listAll(tpath(ctx.tid, '/dead-letters'), { endpoint_id: endpoint.id });
    text.textContent = `Recovered ${replayed}: all done · ${dead.items.length}${dead.more ? '+' : ''} ` +
      'dead letters left for this endpoint';
    text.classList.add('done');
    ctx.countersChanged();
    return false;
  }, POLL_MS);
}
