// Axon Webhooks operator dashboard: hash routing, the page frame (navigation, headline
// counters) and sign-in. Pages live in views/*.js; each is `async (ctx) => Node`.
// A page whose node has `onQuery(query)` handles a change of its own query (a filter applied,
// back/forward) in place: only its data region is reloaded, so its forms keep whatever the
// user typed and the focus stays where it is.

import { api, ApiError, fetchMetrics, metricSum, session, tpath } from './api.js';
import { formStatus, h, replace, setStatus } from './dom.js';
import * as catalogue from './views/catalogue.js';
import * as deadLetters from './views/dead_letters.js';
import * as deliveries from './views/deliveries.js';
import * as endpoints from './views/endpoints.js';
import * as events from './views/events.js';
import * as tenants from './views/tenants.js';

const $ = (selector) => document.querySelector(selector);
const COUNTER_REFRESH_MS = 3000;

// [pattern over the hash path, view, tenant section for the navigation]
const ROUTES = [
  [/^\/signin$/, signInView],
  [/^\/$/, homeView],
  [/^\/tenants$/, tenants.list],
  [/^\/tenants\/([^/]+)$/, (ctx) => ctx.redirect(`#/tenants/${ctx.params[0]}/endpoints`)],
  [/^\/tenants\/([^/]+)\/endpoints$/, endpoints.list, 'endpoints'],
  [/^\/tenants\/([^/]+)\/endpoints\/([^/]+)$/, endpoints.detail, 'endpoints'],
  [/^\/tenants\/([^/]+)\/events$/, events.list, 'events'],
  [/^\/tenants\/([^/]+)\/events\/([^/]+)$/, events.detail, 'events'],
  [/^\/tenants\/([^/]+)\/deliveries$/, deliveries.list, 'deliveries'],
  [/^\/tenants\/([^/]+)\/deliveries\/([^/]+)$/, deliveries.detail, 'deliveries'],
  [/^\/tenants\/([^/]+)\/dead-letters$/, deadLetters.list, 'dead-letters'],
  [/^\/tenants\/([^/]+)\/event-types$/, catalogue.list, 'event-types'],
];

let generation = 0;  // bumps on every navigation; stale renders and pollers check it
let shown = null;    // the page in #main once rendered: {path, onQuery}; null while loading
const tenantNames = new Map();

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  return { path: path.startsWith('/') ? path : `/${path}`, query };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// What a view gets: route parameters, the query, and helpers bound to this navigation.
function makeContext(gen, params, query, section) {
  const s = session.get();
  return {
    params: params.map(decodeURIComponent),
    query,
    session: s,
    tid: section ? decodeURIComponent(params[0]) : null,
    // False once the user navigated elsewhere: pollers stop, late results are dropped.
    active: () => gen === generation,
    go: (hash) => { location.hash = hash; },
    redirect: (hash) => { location.replace(hash); return null; },
    reload: () => route({ keepFocus: true }),
    // Something changed the queue: refresh the headline counters now, not at the next tick.
    countersChanged: () => { if (countersTimer) refreshCounters(); },
    toast,
    // True (and back to the sign-in page) when the server rejected the token.
    signOutIf401: (e) => {
      if (!(e instanceof ApiError) || e.status !== 401) return false;
      signOut('Your token was rejected.');
      return true;
    },
    // Runs fn now and then again while this page is shown, until fn returns false. The
    // interval starts at `ms` and grows slowly (to 5 s) so a long retry wait costs little.
    async poll(fn, ms, { immediate = true } = {}) {
      let interval = ms;
      if (!immediate) await sleep(interval);
      while (gen === generation) {
        let again = true;
        try {
          again = await fn();
        } catch (e) {
          if (e instanceof ApiError && e.status === 401) return signOut('Your token was rejected.');
        }
        if (again === false || gen !== generation) return;
        await sleep(interval);
        interval = Math.min(5000, Math.round(interval * 1.15));
      }
    },
  };
}

async function route({ keepFocus = false, fromHash = false } = {}) {
  const { path, query } = parseHash();
  const s = session.get();
  if (fromHash && s && shown && shown.path === path && shown.onQuery) {
    // Same page, other query: no new generation, so the page's pollers keep running.
    shown.onQuery(query);
    return;
  }
  const gen = ++generation;
  shown = null;
  if (!s && path !== '/signin') {
    location.replace('#/signin');
    return;
  }
  let view = notFoundView;
  let params = [];
  let section = null;
  for (const [pattern, candidate, sec] of ROUTES) {
    const m = pattern.exec(path);
    if (m) {
      view = candidate;
      params = m.slice(1);
      section = sec ?? null;
      break;
    }
  }
  const ctx = makeContext(gen, params, query, section);
  renderFrame(ctx, section);
  if (countersTimer && !keepFocus) refreshCounters();  // fresh numbers on every page

  const main = $('#main');
  main.setAttribute('aria-busy', 'true');
  const loading = setTimeout(() => {
    if (gen === generation) replace(main, h('p', { class: 'loading' }, 'Loading…'));
  }, 200);
  let node;
  try {
    node = await view(ctx);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && path !== '/signin') {
      clearTimeout(loading);
      signOut('Your token was rejected (401). Please sign in again.');
      return;
    }
    node = errorBox(e);
  }
  clearTimeout(loading);
  if (gen !== generation || node === null) return;
  replace(main, node);
  main.removeAttribute('aria-busy');
  shown = { path, onQuery: typeof node.onQuery === 'function' ? node.onQuery : null };
  if (!keepFocus) {
    const heading = main.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  }
}

export function errorBox(e) {
  const message = e instanceof ApiError
    ? `${e.message} (${e.status ? `HTTP ${e.status}, ` : ''}${e.code})`
    : String(e && e.message ? e.message : e);
  return h('div', { class: 'alert error', role: 'alert' },
    h('h1', {}, 'Something went wrong'), h('p', {}, message),
    h('p', {}, h('a', { href: '#/' }, 'Back to the start')));
}

function notFoundView() {
  return h('div', {}, h('h1', {}, 'Page not found'),
    h('p', {}, 'No page here. ', h('a', { href: '#/' }, 'Go to the start.')));
}

function homeView(ctx) {
  const s = ctx.session;
  if (!s.admin) return ctx.redirect(`#/tenants/${encodeURIComponent(s.tenant)}/endpoints`);
  return ctx.redirect('#/tenants');
}

// ---- frame: header navigation and counters ----------------------------------------------

function renderFrame(ctx, section) {
  const s = ctx.session;
  const nav = $('#nav');
  const who = $('#who');
  document.body.classList.toggle('signed-in', Boolean(s));
  if (!s) {
    replace(nav);
    replace(who);
    return;
  }
  const links = [];
  const link = (href, text, current) =>
    h('a', { href, 'aria-current': current ? 'page' : null }, text);
  if (s.admin) links.push(link('#/tenants', 'Tenants', !section && parseHash().path === '/tenants'));
  const tid = ctx.tid ?? (s.admin ? null : s.tenant);
  if (tid) {
    const base = `#/tenants/${encodeURIComponent(tid)}`;
    const name = h('span', { class: 'tenant-name', title: tid }, tenantNames.get(tid) ?? tid);
    links.push(h('span', { class: 'nav-tenant' }, name));
    links.push(link(`${base}/endpoints`, 'Endpoints', section === 'endpoints'));
    links.push(link(`${base}/events`, 'Events', section === 'events'));
    links.push(link(`${base}/deliveries`, 'Deliveries', section === 'deliveries'));
    links.push(link(`${base}/dead-letters`, 'Dead letters', section === 'dead-letters'));
    links.push(link(`${base}/event-types`, 'Event types', section === 'event-types'));
    if (s.admin && !tenantNames.has(tid)) {
      api('GET', tpath(tid)).then((t) => {
        tenantNames.set(tid, t.name);
        name.textContent = t.name;
      }, () => {});
    }
  }
  replace(nav, h('ul', {}, links.map((l) => h('li', {}, l))));
  replace(who, h('span', { class: 'muted' }, s.admin ? 'Admin' : `Tenant key · ${s.tenant}`), ' ',
    h('button', { type: 'button', class: 'btn small', onclick: () => signOut() }, 'Sign out'));
  $('#counters').hidden = false;
}

let countersTimer = null;

const COUNTERS = [
  ['due', 'Due now', (m) => metricSum(m, 'axon_queue_depth', { state: 'due' })],
  ['scheduled', 'Scheduled', (m) => metricSum(m, 'axon_queue_depth', { state: 'scheduled' })],
  ['dead', 'Dead letters', (m) => metricSum(m, 'axon_queue_depth', { state: 'dead' })],
  ['succeeded', 'Succeeded', (m) => metricSum(m, 'axon_deliveries_succeeded')],
  ['attempts', 'Attempts', (m) => metricSum(m, 'axon_attempts_total')],
  ['purged', 'Events purged', (m) => metricSum(m, 'axon_purged_total', { kind: 'events' })],
  ['retention', 'Retention', (m) => metricSum(m, 'axon_retention_seconds'), formatWindow],
  ['store-size', 'Store size', (m) => metricSum(m, 'axon_store_size_bytes'), formatBytes],
];

// 2592000 -> "30 d", 300 -> "5 min", 0 -> "forever" (retention 0 keeps everything).
function formatWindow(seconds) {
  if (seconds === 0) return 'forever';
  const units = [[86400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']];
  const [size, name] = units.find(([u]) => seconds >= u && seconds % u === 0) ?? [1, 's'];
  return `${(seconds / size).toLocaleString('en-US')} ${name}`;
}

function formatBytes(bytes) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = bytes;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i += 1; }
  return `${v.toLocaleString('en-US', { maximumFractionDigits: i ? 1 : 0 })} ${units[i]}`;
}

function buildCounters() {
  const box = $('#counters');
  replace(box,
    h('h2', { class: 'visually-hidden' }, 'Queue counters'),
    h('ul', { class: 'tiles' }, COUNTERS.map(([key, label]) =>
      h('li', { class: `tile tile-${key}`, 'data-counter': key },
        h('span', { class: 'tile-value' }, '…'), h('span', { class: 'tile-label' }, label)))),
    h('p', { class: 'counters-note muted', id: 'counters-note' }, 'Loading counters…'));
}

async function refreshCounters() {
  if (!session.get()) return;
  const note = $('#counters-note');
  try {
    const samples = await fetchMetrics();
    for (const [key, , value, format] of COUNTERS) {
      const tile = document.querySelector(`[data-counter="${key}"] .tile-value`);
      const v = value(samples);
      if (v === null) tile.textContent = '—';
      else tile.textContent = format ? format(Number(v)) : Number(v).toLocaleString('en-US');
    }
    const dead = document.querySelector('[data-counter="dead"]');
    dead.classList.toggle('alarm', value0(samples, 'dead') > 0);
    const now = new Date();
    note.textContent = `All tenants · refreshed ${now.toLocaleTimeString('en-GB')} · every ${COUNTER_REFRESH_MS / 1000} s`;
    note.classList.remove('error');
  } catch (e) {
    note.textContent = `Counters unavailable: ${e.message}`;
    note.classList.add('error');
  }
}

function value0(samples, key) {
  const entry = COUNTERS.find(([k]) => k === key);
  return entry[2](samples) ?? 0;
}

function startCounters() {
  if (countersTimer) return;
  buildCounters();
  const tick = async () => {
    if (!document.hidden) await refreshCounters();
    countersTimer = setTimeout(tick, COUNTER_REFRESH_MS);
  };
  tick();
}

function stopCounters() {
  clearTimeout(countersTimer);
  countersTimer = null;
  $('#counters').hidden = true;
}

// ---- sign in / out -------------------------------------------------------------------

function signOut(message) {
  session.clear();
  tenantNames.clear();
  stopCounters();
  signInMessage = message || '';
  if (location.hash === '#/signin') route();
  else location.hash = '#/signin';
}

let signInMessage = '';

function signInView(ctx) {
  if (ctx.session) return ctx.redirect('#/');
  stopCounters();
  const status = formStatus();
  if (signInMessage) setStatus(status, signInMessage, 'error');
  signInMessage = '';
  const token = h('input', { id: 'token', name: 'token', type: 'password', required: true,
    autocomplete: 'off', spellcheck: 'false' });
  const tenant = h('input', { id: 'tenant', name: 'tenant', type: 'text', autocomplete: 'off',
    spellcheck: 'false', placeholder: 'ten_…', value: session.lastTenant() });
  const form = h('form', { class: 'card narrow', onsubmit: (e) => { e.preventDefault(); signIn(form, token, tenant, status); } },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Use the admin token, or a tenant API key with its tenant id. ' +
      'The token stays in this browser tab only.'),
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'Token'), token),
    h('div', { class: 'field' }, h('label', { for: 'tenant' }, 'Tenant id ',
      h('span', { class: 'muted' }, '(needed for a tenant API key; optional for admin)')), tenant),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Sign in')),
    status);
  setTimeout(() => token.focus(), 0);
  return h('div', { class: 'signin' }, form);
}

async function signIn(form, tokenInput, tenantInput, status) {
  const token = tokenInput.value.trim();
  const tenant = tenantInput.value.trim();
  if (!token) return setStatus(status, 'Enter a token.', 'error');
  setStatus(status, 'Checking the token…');
  const controls = form.querySelectorAll('input, button');
  controls.forEach((c) => { c.disabled = true; });
  try {
    let admin = false;
    try {
      await api('GET', '/v1/tenants?limit=1', undefined, { token });
      admin = true;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 403) throw e;
    }
    if (!admin) {
      if (!tenant) {
        setStatus(status, 'This is a tenant API key: enter the id of its tenant (ten_…).', 'error');
        controls.forEach((c) => { c.disabled = false; });
        tenantInput.focus();
        return;
      }
      try {
        await api('GET', tpath(tenant, '/endpoints', { limit: 1 }), undefined, { token });
      } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 403)) {
          throw new ApiError(e.status, e.code, `This key does not give access to tenant ${tenant}.`);
        }
        throw e;
      }
    }
    session.set({ token, admin, tenant: tenant || null });
    controls.forEach((c) => { c.disabled = false; });
    startCounters();
    location.hash = tenant ? `#/tenants/${encodeURIComponent(tenant)}/endpoints` : '#/tenants';
  } catch (e) {
    controls.forEach((c) => { c.disabled = false; });
    const text = e instanceof ApiError && e.status === 401
      ? 'The server did not accept this token.'
      : `Could not sign in: ${e.message}`;
    setStatus(status, text, 'error');
    tokenInput.focus();
  }
}

// ---- toasts ------------------------------------------------------------------------------

let toastTimer = null;
export function toast(message, kind = 'info') {
  const box = $('#toast');
  replace(box, h('div', { class: `toast ${kind}` }, message));
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => replace(box), 6000);
}

// ---- start -------------------------------------------------------------------------------

window.addEventListener('hashchange', () => route({ fromHash: true }));
// The skip link must not change the hash (that is the router's).
$('.skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  $('#main').focus();
});
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && countersTimer) refreshCounters();
});
if (session.get()) startCounters();
route();
