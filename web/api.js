// Talking to the Axon Webhooks API (docs/api.md) from the dashboard: the signed-in session,
// JSON requests with the bearer token, errors as ApiError, and the /metrics text format.

const SESSION_KEY = 'axon.session';       // sessionStorage: {token, admin, tenant}
const LAST_TENANT_KEY = 'axon.lastTenant'; // localStorage: not a secret, just a convenience

export const session = {
  get() {
    try {
      const s = JSON.parse(sessionStorage.getItem(SESSION_KEY));
      return s && typeof s.token === 'string' ? s : null;
    } catch {
      return null;
    }
  },
  set(value) {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
    if (value.tenant) localStorage.setItem(LAST_TENANT_KEY, value.tenant);
  },
  clear() { sessionStorage.removeItem(SESSION_KEY); },
  lastTenant() { return localStorage.getItem(LAST_TENANT_KEY) || ''; },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// api('GET', '/v1/tenants') -> parsed JSON; throws ApiError (status 0 when unreachable).
export async function api(method, path, body, { token } = {}) {
  const bearer = token ?? session.get()?.token;
  const headers = { Accept: 'application/json' };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'unreachable', `Cannot reach the server (${e.message}).`);
  }
  const text = await response.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (!response.ok) {
    const err = json && json.error;
    throw new ApiError(response.status, err?.code ?? `http_${response.status}`,
      err?.message ?? `${response.status} ${response.statusText}`.trim());
  }
  return json;
}

// "/v1/tenants/ten_1/events" + "?type=a&since=…" (empty values left out).
export function tpath(tenantId, rest = '', query = {}) {
  return `/v1/tenants/${encodeURIComponent(tenantId)}${rest}${qs(query)}`;
}

export function qs(query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

// Every page of a list, up to `max` items (the API lists newest first).
export async function listAll(path, query = {}, max = 1000) {
  const items = [];
  let after = null;
  do {
    const page = await api('GET', `${path}${qs({ ...query, limit: Math.min(1000, max - items.length), after })}`);
    items.push(...page.data);
    after = page.next;
  } while (after && items.length < max);
  return { items, more: Boolean(after) };
}

// Prometheus text exposition -> [{name, labels, value}].
export function parseMetrics(text) {
  const samples = [];
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const raw of text.split('\n')) {
    if (!raw || raw.startsWith('#')) continue;
    const m = line.exec(raw);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || '').matchAll(label)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

// Sum of a metric's samples whose labels include `match`; null when the metric is absent.
export function metricSum(samples, name, match = {}) {
  let found = false;
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue;
    found = true;
    total += s.value;
  }
  return found ? total : null;
}

export async function fetchMetrics() {
  let response;
  try {
    response = await fetch('/metrics', { cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'unreachable', `Cannot reach the server (${e.message}).`);
  }
  if (!response.ok) throw new ApiError(response.status, 'metrics', `/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}
