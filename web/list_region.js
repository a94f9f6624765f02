// The data region of a list page: the rows of the current query, "Load more", and (optionally)
// a periodic refresh. It owns only its own box: the page's filter form lives outside it, so
// neither a refresh nor a new query touches what the user is typing there, or the focus.
//
// The box tells tests and assistive technology what it shows: aria-busy while a query loads,
// data-query = the query it shows, data-refreshes = how many refreshes have completed.

import { ApiError } from './api.js';
import { clock, h, replace, rerender, table } from './dom.js';

// fetchPage(query, {limit, after}) -> {data, next, empty?}; query is a plain object.
// Returns {node, show(query), refresh(), current()}.
export function listRegion(ctx, {
  id, columns, fetchPage, empty = 'Nothing here yet.', pageSize = 50, refreshMs = 0,
  onRender = () => {},
}) {
  const listBox = h('div', {});
  const more = h('p', { class: 'more' });
  const note = h('p', { class: 'list-note muted' });
  const box = h('div', { id, class: 'list-region', dataset: { refreshes: '0' } }, listBox, more, note);
  let query = {};
  let rows = [];
  let next = null;
  let emptyText = empty;
  let seq = 0;       // bumps with every request; an answer to an older one is dropped
  let inFlight = 0;  // a refresh waits while a query or "Load more" is loading

  const render = () => {
    replace(listBox, table(columns, rows, { empty: emptyText }));
    replace(more, next ? h('button', { type: 'button', class: 'btn', 'data-key': 'more', onclick: loadMore }, 'Load more') : null);
    onRender(rows, next);
  };
  const failed = (e) => {
    if (ctx.signOutIf401(e)) return;
    replace(note, h('span', { class: 'error-text', role: 'alert' }, `Could not load the list: ${e.message}`));
  };
  // Runs one request; its answer counts only if no later request started meanwhile (and the
  // page is still shown): a later query, a "Load more", or a refresh supersedes it.
  const track = async (work) => {
    const my = ++seq;
    inFlight += 1;
    try {
      const result = await work();
      return my === seq && ctx.active() ? result : null;
    } catch (e) {
      if (my === seq && ctx.active()) throw e;
      return null;
    } finally {
      inFlight -= 1;
    }
  };

  // Shows the first page of `q`. The first call throws (the page shows the error); later
  // ones report in the region.
  async function show(q, { throwErrors = false } = {}) {
    query = { ...q };
    box.setAttribute('aria-busy', 'true');
    try {
      const page = await track(() => fetchPage(query, { limit: pageSize }));
      if (!page) return;
      rows = [...page.data];
      next = page.next;
      emptyText = page.empty ?? empty;
      rerender(box, render);
      box.dataset.query = queryKey(query);
      box.removeAttribute('aria-busy');
      replace(note, refreshMs ? `Updated ${clock()} · refreshes every few seconds` : null);
    } catch (e) {
      if (throwErrors) throw e;
      box.removeAttribute('aria-busy');
      failed(e);
    }
  }

  async function loadMore() {
    if (box.hasAttribute('aria-busy')) return;  // another query is on its way: its own pages
    try {
      const page = await track(() => fetchPage(query, { limit: pageSize, after: next }));
      if (!page) return;
      const firstNew = rows.length;
      rows.push(...page.data);
      next = page.next;
      render();
      // The focus stays on "Load more", or (on the last page) goes to the first new row.
      const target = more.querySelector('button')
        ?? listBox.querySelectorAll('tbody tr')[firstNew]?.querySelector('a[href], button, summary');
      if (target) target.focus({ preventScroll: true });
    } catch (e) {
      failed(e);
    }
  }

  // The rows shown now, fetched again (as many as are loaded, so "Load more" is not undone).
  async function refresh() {
    if (inFlight || document.hidden) return;
    const page = await track(() => fetchPage(query, { limit: Math.min(1000, Math.max(pageSize, rows.length)) }));
    if (!page) return;
    if (JSON.stringify(page.data) !== JSON.stringify(rows) || page.next !== next) {
      rows = [...page.data];
      next = page.next;
      rerender(box, render);
    }
    replace(note, `Updated ${clock()} · refreshes every few seconds`);
    box.dataset.refreshes = String(Number(box.dataset.refreshes) + 1);
  }

  if (refreshMs) {
    ctx.poll(async () => {
      try {
        await refresh();
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) throw e;  // poll signs out
        replace(note, h('span', { class: 'error-text' }, `Refresh failed: ${e.message} (retrying)`));
      }
      return true;
    }, refreshMs, { immediate: false });
  }

  // The query shown, or on its way (as queryKey has it).
  const current = () => queryKey(query);
  return { node: box, show, refresh, current };
}

// A query as the URL shows it ("status=dead&endpoint_id=ep_1"), empty values left out.
export function queryKey(query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  return params.toString();
}
