// A tenant's event-type catalogue (GET …/event-types, by name): description, a "deprecated"
// badge, whether the type has a JSON Schema for `data`, and the schema itself on demand.
// The schema is shown as pretty-printed JSON text, never parsed as markup.

import { api, tpath } from '../api.js';
import { badge, code, h, prettyJson, time } from '../dom.js';
import { listRegion } from '../list_region.js';

export async function list(ctx) {
  const columns = [
    { label: 'Name', cell: (t) => h('span', { class: 'etype type-name' }, t.name) },
    { label: 'Description', cell: (t) => (t.description
      ? h('span', { class: 'description' }, t.description) : h('span', { class: 'muted' }, '—')) },
    { label: 'Status', class: 'status-cell', cell: (t) => (t.deprecated
      ? h('span', { class: 'badge badge-deprecated', title: 'Still accepted; producers should move off it' }, 'deprecated')
      : badge('active')) },
    { label: 'Schema', class: 'schema-cell', cell: schemaCell },
    { label: 'Version', cell: (t) => String(t.version) },
    { label: 'Updated', cell: (t) => time(t.updated_at) },
  ];
  const region = listRegion(ctx, {
    id: 'catalogue-list', columns,
    empty: 'No event types yet. Producers may still send any type unless the tenant restricts them.',
    // The catalogue lists by name; rows carry no id of their own, so the name keys them.
    fetchPage: async (q, page) => {
      const p = await api('GET', tpath(ctx.tid, '/event-types', page));
      return { ...p, data: p.data.map((t) => ({ ...t, id: t.name })) };
    },
  });
  await region.show({}, { throwErrors: true });
  const settings = h('div', {});
  if (ctx.session.admin) fillSettings(ctx, settings);
  return h('div', {},
    h('h1', {}, 'Event types'),
    h('p', { class: 'muted' }, 'The tenant\u2019s catalogue of event types. An event of a type with a ' +
      'schema is checked against it: data that does not match is refused with 422.'),
    settings,
    h('section', { 'aria-labelledby': 'catalogue-h' }, h('h2', { id: 'catalogue-h', class: 'visually-hidden' }, 'Catalogue'),
      region.node),
    h('p', { class: 'muted' }, 'Manage the catalogue through the API: ',
      code(`POST /v1/tenants/${ctx.tid}/event-types`), '.'));
}

// "none", or "JSON Schema" with a disclosure that shows it (a boolean schema is JSON too).
function schemaCell(t) {
  if (t.schema === null || t.schema === undefined) return h('span', { class: 'muted no-schema' }, 'none');
  return h('details', { class: 'schema' },
    h('summary', { 'aria-label': `JSON Schema of ${t.name}` }, 'JSON Schema'),
    h('pre', { class: 'block schema-json' }, prettyJson(t.schema)));
}

// The tenant's catalogue rules, when the signed-in token may read them (admin only).
async function fillSettings(ctx, box) {
  try {
    const tenant = await api('GET', tpath(ctx.tid));
    const s = tenant.settings;
    if (!s || !ctx.active()) return;
    box.append(h('ul', { class: 'catalogue-rules' },
      h('li', {}, s.require_catalogued_types
        ? 'Events of a type not in the catalogue are refused.'
        : 'Events of any type are accepted, catalogued or not.'),
      h('li', {}, s.restrict_subscriptions_to_catalogue
        ? 'Endpoints may subscribe only to catalogued types.'
        : 'Endpoints may subscribe to any type.')));
  } catch {
    // Only a convenience: the catalogue itself is shown either way.
  }
}
