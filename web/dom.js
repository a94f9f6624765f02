// DOM helpers. Every piece of server data reaches the page as a text node or an attribute
// value set through the DOM API: nothing here (or anywhere in the dashboard) uses innerHTML.

// h('a', {href: '#/x', class: 'btn', onclick: fn}, 'text', childNode, [more, children])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' && (tag === 'textarea' || tag === 'select')) {
      el.value = value;  // applied again after children below (options must exist first)
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  add(el, children);
  if (attrs && attrs.value !== undefined && (tag === 'textarea' || tag === 'select')) {
    el.value = attrs.value;
  }
  return el;
}

// Appends children (nodes, strings, numbers, nested arrays); null/false/undefined are skipped.
export function add(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return add(el, children);
}

const pad = (n) => String(n).padStart(2, '0');

// "2026-11-29 01:02:03" in the browser's time zone, inside <time> carrying the exact value.
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', {}, iso);
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return h('time', { datetime: iso, title: iso }, text);
}

// A Date as the value of <input type="datetime-local"> (local time, seconds).
export function toLocalInput(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 19);
}

// The value of <input type="datetime-local"> as RFC 3339 UTC ("" stays "").
export function fromLocalInput(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error(`not a time: ${value}`);
  return d.toISOString();
}

export function code(text) {
  return h('code', {}, text);
}

export function badge(status) {
  return h('span', { class: `badge badge-${String(status).replace(/[^a-z_-]/gi, '')}` }, status);
}

// A <table> that turns into labelled cards on narrow screens (see style.css).
// columns: [{label, cell: (row) => node|string, class?}]
export function table(columns, rows, { empty = 'Nothing here yet.', caption } = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)));
  const body = rows.map((row) => tableRow(columns, row));
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'data' }, caption ? h('caption', {}, caption) : null,
      h('thead', {}, head), h('tbody', {}, body)));
}

export function tableRow(columns, row) {
  return h('tr', { 'data-id': row && typeof row.id === 'string' ? row.id : null }, columns.map((c) =>
    h('td', { 'data-label': c.label, class: c.class }, c.cell(row))));
}

// The last attempt's outcome in a few words: "200", "http 500", "connect: refused".
export function attemptSummary(attempt) {
  if (!attempt) return h('span', { class: 'muted' }, 'not attempted yet');
  const parts = [];
  if (attempt.status_code !== null && attempt.status_code !== undefined) {
    parts.push(h('span', { class: statusClass(attempt.status_code) }, String(attempt.status_code)));
  }
  if (attempt.error) {
    parts.push(' ', h('span', { class: 'err-class' }, attempt.error));
    if (attempt.error_message) parts.push(': ', attempt.error_message);
  }
  if (!parts.length) parts.push('no response');
  return h('span', { class: 'attempt-summary' }, parts);
}

export function statusClass(code) {
  if (code >= 200 && code < 300) return 'code ok';
  if (code >= 500) return 'code bad';
  return 'code warn';
}

// A small status line for forms ("Saving…", errors). role=status so screen readers hear it.
export function formStatus() {
  return h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
}

export function setStatus(el, text, kind = 'info') {
  el.className = `form-status ${kind}`;
  el.textContent = text;
}

// Disables a form's controls while `work` runs, so Enter twice does not submit twice.
export async function busy(form, work) {
  const controls = [...form.querySelectorAll('button, input, select, textarea')];
  const was = controls.map((c) => c.disabled);
  controls.forEach((c) => { c.disabled = true; });
  try {
    return await work();
  } finally {
    controls.forEach((c, i) => { c.disabled = was[i]; });
  }
}

export function pre(text) {
  return h('pre', { class: 'block' }, text);
}

export function prettyJson(value) {
  try { return JSON.stringify(value, null, 2); } catch { return String(value); }
}

const FOCUSABLE = 'a[href], button, input, select, textarea, summary, [tabindex]';

// Re-renders `box` through `render()` and, if the focus was inside it, puts the focus back on
// the matching control (the same position in the row with the same data-id, or else the one
// with the same data-key), so a refresh of the data does not throw a keyboard user back to the top.
export function rerender(box, render) {
  const active = document.activeElement;
  let key = null;
  if (active && active !== box && box.contains(active)) {
    const row = active.closest('[data-id]');
    if (row && box.contains(row)) key = { id: row.dataset.id, index: [...row.querySelectorAll(FOCUSABLE)].indexOf(active) };
    else if (active.dataset.key) key = { key: active.dataset.key };
  }
  render();
  if (!key) return;
  let target = null;
  if (key.key) {
    target = [...box.querySelectorAll('[data-key]')].find((el) => el.dataset.key === key.key);
  } else {
    const row = [...box.querySelectorAll('[data-id]')].find((el) => el.dataset.id === key.id);
    target = row && key.index >= 0 ? row.querySelectorAll(FOCUSABLE)[key.index] : null;
  }
  if (target) target.focus({ preventScroll: true });
}

// The time of day as the dashboard shows it in notes ("06:42:10").
export function clock(date = new Date()) {
  return date.toLocaleTimeString('en-GB');
}
