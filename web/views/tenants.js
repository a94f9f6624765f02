// Tenants (admin only): list, create, and issue an API key.

import { api, tpath } from '../api.js';
import { busy, code, formStatus, h, replace, setStatus, table, time } from '../dom.js';

export async function list(ctx) {
  if (!ctx.session.admin) {
    return h('div', {}, h('h1', {}, 'Tenants'),
      h('p', {}, 'Only the admin token can list tenants. ',
        h('a', { href: `#/tenants/${encodeURIComponent(ctx.session.tenant)}/endpoints` },
          'Go to your tenant.')));
  }
  const page = await api('GET', '/v1/tenants?limit=100');
  const rows = [...page.data];
  const listBox = h('div', {});
  const more = h('p', {});

  const columns = [
    { label: 'Name', cell: (t) => h('a', { href: `#/tenants/${encodeURIComponent(t.id)}/endpoints` }, t.name || t.id) },
    { label: 'Id', cell: (t) => code(t.id) },
    { label: 'Created', cell: (t) => time(t.created_at) },
    { label: 'API key', cell: (t) => apiKeyCell(t) },
  ];
  let next = page.next;
  const render = () => {
    replace(listBox, table(columns, rows, { empty: 'No tenants yet: create the first one above.' }));
    replace(more, next ? h('button', { type: 'button', class: 'btn', onclick: loadMore }, 'Load more') : null);
  };
  async function loadMore() {
    const p = await api('GET', `/v1/tenants?limit=100&after=${encodeURIComponent(next)}`);
    rows.push(...p.data);
    next = p.next;
    render();
  }
  render();

  const name = h('input', { id: 'tenant-name', name: 'name', required: true, maxlength: 200,
    autocomplete: 'off', placeholder: 'Acme Inc.' });
  const status = formStatus();
  const form = h('form', { class: 'inline-form', onsubmit: async (e) => {
    e.preventDefault();
    const value = name.value.trim();
    if (!value) return setStatus(status, 'Enter a name.', 'error');
    try {
      const t = await busy(form, () => api('POST', '/v1/tenants', { name: value }));
      ctx.toast(`Tenant “${t.name}” created.`, 'ok');
      ctx.go(`#/tenants/${encodeURIComponent(t.id)}/endpoints`);
    } catch (err) {
      setStatus(status, `Could not create the tenant: ${err.message}`, 'error');
    }
  } },
  h('div', { class: 'field' }, h('label', { for: 'tenant-name' }, 'Name'), name),
  h('button', { type: 'submit', class: 'btn primary' }, 'Create tenant'), status);

  return h('div', {},
    h('h1', {}, 'Tenants'),
    h('section', { class: 'card', 'aria-labelledby': 'new-tenant' },
      h('h2', { id: 'new-tenant' }, 'New tenant'), form),
    h('section', { 'aria-labelledby': 'all-tenants' },
      h('h2', { id: 'all-tenants' }, 'All tenants'), listBox, more));
}

// "Create API key" -> shows the key once, in place.
function apiKeyCell(tenant) {
  const box = h('span', {});
  const button = h('button', { type: 'button', class: 'btn small', onclick: async () => {
    button.disabled = true;
    try {
      const k = await api('POST', tpath(tenant.id, '/api-keys'));
      replace(box, h('span', { class: 'secret' }, 'New key (shown once): ', code(k.key)));
    } catch (e) {
      button.disabled = false;
      replace(box, h('span', { class: 'error-text' }, e.message));
    }
  } }, 'Create API key');
  return h('span', {}, button, ' ', box);
}
