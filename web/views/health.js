// Endpoint health, computed from its recent deliveries (the API has no health resource):
// success rate over the finished ones, how many are pending, and the latest failed attempt.

import { api, tpath } from '../api.js';
import { attemptSummary, h, time } from '../dom.js';

const RECENT = 100;

export async function endpointHealth(tid, eid) {
  const page = await api('GET', tpath(tid, '/deliveries', { endpoint_id: eid, limit: RECENT }));
  const recent = page.data;
  let succeeded = 0;
  let dead = 0;
  let pending = 0;
  for (const d of recent) {
    if (d.status === 'succeeded') succeeded += 1;
    else if (d.status === 'dead') dead += 1;
    else pending += 1;
  }
  const failed = recent
    .filter((d) => d.last_attempt && (d.last_attempt.error || !isOk(d.last_attempt.status_code)))
    .sort((a, b) => String(b.last_attempt.started_at).localeCompare(String(a.last_attempt.started_at)));
  return { total: recent.length, succeeded, dead, pending, lastFailure: failed[0] ?? null };
}

function isOk(code) {
  return code >= 200 && code < 300;
}

export function healthCell(health) {
  const finished = health.succeeded + health.dead;
  if (!health.total) return h('span', { class: 'muted' }, 'no deliveries yet');
  const parts = [];
  if (finished) {
    const rate = Math.round((health.succeeded / finished) * 1000) / 10;
    const kind = rate >= 99 ? 'ok' : rate >= 90 ? 'warn' : 'bad';
    parts.push(h('span', { class: `rate ${kind}`, title: `${health.succeeded} of ${finished} finished deliveries succeeded` },
      `${rate}%`), ' ', h('span', { class: 'muted' }, `of last ${finished}`));
  } else {
    parts.push(h('span', { class: 'muted' }, 'none finished yet'));
  }
  if (health.pending) parts.push(h('br'), h('span', { class: 'muted' }, `${health.pending} pending`));
  return h('span', { class: 'health' }, parts);
}

export function lastErrorCell(health, tid) {
  const d = health.lastFailure;
  if (!d) return h('span', { class: 'muted' }, 'none');
  return h('span', {}, attemptSummary(d.last_attempt), h('br'),
    h('a', { href: `#/tenants/${encodeURIComponent(tid)}/deliveries/${encodeURIComponent(d.id)}` },
      time(d.last_attempt.started_at)));
}
