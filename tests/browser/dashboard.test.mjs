// The operator dashboard, end to end: the real axon-webhooks binary (AXON_BIN) serving its
// embedded dashboard, a receiver on 127.0.0.1 whose failure we toggle, and Debian's headless
// Chromium driven by playwright-core. No mocks. Screenshots go to tests/artifacts/.
// The helpers (server, receiver, polling) are in dashboard_support.mjs.
//
//   AXON_BIN=build/dev/axon-webhooks node --test tests/browser/

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import {
  ADMIN_TOKEN, WAIT, startReceiver, startServer, stopServer, until,
} from './dashboard_support.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = process.env.AXON_ARTIFACTS || path.resolve(HERE, '..', 'artifacts');
const CHROMIUM = process.env.AXON_CHROMIUM || '/usr/bin/chromium';

// ---- the walk ------------------------------------------------------------------------------

describe('dashboard', { timeout: 240_000 }, () => {
  let dir;
  let server;
  let base;
  let receiver;
  let context;
  let page;
  let tid;
  let endpointId;
  let deadDeliveryId;
  const offsite = [];       // requests to anything but the server: must stay empty
  const pageErrors = [];    // uncaught exceptions and console errors

  const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
  const api = async (method, p, body) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${p} -> ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const rowWith = (text) => page.locator('tbody tr', { hasText: text });
  // The deliveries list once it shows `query` (as the URL has it) and is no longer loading.
  const deliveriesShown = (query) =>
    page.locator(`#deliveries-list[data-query="${query}"]:not([aria-busy])`);
  const nav = (name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'axon-browser-'));
    receiver = await startReceiver();
    server = startServer(dir);
    base = await server.url;
    // The dashboard must be served by the binary itself.
    const index = await until('GET / to answer the dashboard', async () => {
      const res = await fetch(`${base}/`);
      const text = await res.text();
      return res.ok && text.includes('/assets/app.js') ? text : null;
    }, 5000);
    assert.match(index, /<title>Axon Webhooks<\/title>/);

    context = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
    });
    page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(`${base}/`) && !u.startsWith('data:')) offsite.push(u);
    });
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
    });
  });

  after(async () => {
    if (context) await context.close().catch(() => {});
    if (server) await stopServer(server.child);
    if (receiver) await receiver.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('signs in with the admin token (Enter submits)', async () => {
    await page.goto(`${base}/`);
    await page.locator('#token').waitFor();
    assert.equal(await page.locator('h1').textContent(), 'Sign in');
    // A wrong token is refused with a message, not a crash.
    await page.fill('#token', 'not-the-token');
    await page.press('#token', 'Enter');
    await page.locator('.form-status.error').waitFor();
    await page.fill('#token', ADMIN_TOKEN);
    await page.fill('#tenant', '');
    await page.press('#token', 'Enter');
    await page.waitForURL(/#\/tenants$/);
    await page.getByRole('heading', { level: 1, name: 'Tenants' }).waitFor();
    assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem('axon.session')).admin), true);
  });

  it('creates a tenant', async () => {
    await page.fill('#tenant-name', 'Acme <b>Browser</b> Co');
    await page.press('#tenant-name', 'Enter');
    await page.waitForURL(/#\/tenants\/ten_[^/]+\/endpoints$/);
    tid = decodeURIComponent(/#\/tenants\/([^/]+)\/endpoints/.exec(page.url())[1]);
    await page.getByRole('heading', { level: 1, name: 'Endpoints' }).waitFor();
    // The tenant's name is shown as text (never parsed as HTML).
    await until('tenant name in the navigation', async () =>
      (await page.locator('.nav-tenant').textContent()) === 'Acme <b>Browser</b> Co');
    assert.equal(await page.locator('.nav-tenant b').count(), 0);
  });

  it('creates an endpoint to the receiver and shows its secret', async () => {
    await page.fill('#ep-url', receiver.url);
    await page.fill('#ep-description', 'Receiver <img src=x> of the browser test');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    const created = page.locator('.created-endpoint');
    await created.waitFor();
    const secret = await created.locator('.secret-value').textContent();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    const row = rowWith(receiver.url);
    await row.waitFor();
    endpointId = await row.getAttribute('data-id');
    assert.match(endpointId, /^ep_/);
    // Server data is text: the description's markup must not become an element.
    assert.equal(await page.locator('main img').count(), 0);
    assert.ok((await row.textContent()).includes('Receiver <img src=x> of the browser test'));
    await row.getByRole('button', { name: 'Show secret' }).click();
    await until('the secret to show', async () => (await row.locator('.secret-value').textContent()) === secret);
    await row.getByRole('button', { name: 'Hide secret' }).click();
  });

  it('sends a test event from the UI and watches it arrive', async () => {
    await nav('Events').click();
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    await page.fill('#t-type', 'order.created');
    await page.fill('#t-data', '{"order": 1, "note": "<script>alert(1)</script>"}');
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.waitForURL(/#\/tenants\/[^/]+\/events\/evt_/);
    const eventId = decodeURIComponent(/events\/([^/?]+)/.exec(page.url())[1]);
    await rowWith(endpointId).locator('.badge-succeeded').waitFor();
    const got = receiver.okFor(eventId);
    assert.equal(got.length, 1, 'the receiver got the event once');
    assert.equal(got[0].headers['x-axon-event-id'], eventId);
    assert.deepEqual(got[0].body.data, { order: 1, note: '<script>alert(1)</script>' });
    assert.ok((await page.locator('pre.block').textContent()).includes('<script>alert(1)</script>'));

    // Endpoint health: 100 % of 1, and the headline counters pick the success up.
    await nav('Endpoints').click();
    await until('health 100%', async () => (await rowWith(receiver.url).locator('.rate').textContent()) === '100%');
    await until('succeeded counter', async () =>
      Number(await page.locator('[data-counter="succeeded"] .tile-value').textContent()) >= 1);
    // Retention and size: the default window, nothing purged yet, a store that holds data.
    assert.equal(await page.locator('[data-counter="retention"] .tile-value').textContent(), '30 d');
    assert.equal(await page.locator('[data-counter="purged"] .tile-value').textContent(), '0');
    assert.match(await page.locator('[data-counter="store-size"] .tile-value').textContent(), /^[\d.]+ (KB|MB)$/);
    await shot('dashboard.png');
  });

  it('shows a failing delivery becoming a dead letter, with its attempt timeline', async () => {
    receiver.failing = true;
    await nav('Events').click();
    await page.fill('#t-type', 'order.failed');
    await page.fill('#t-data', '{"order": 2}');
    await page.press('#t-type', 'Enter');
    await page.waitForURL(/#\/tenants\/[^/]+\/events\/evt_/);
    const eventId = decodeURIComponent(/events\/([^/?]+)/.exec(page.url())[1]);
    const row = rowWith(endpointId);
    await row.locator('.badge-dead').waitFor();
    assert.equal(receiver.allFor(eventId).length, 3, 'three attempts: the first and two retries');
    deadDeliveryId = await row.getAttribute('data-id');
    assert.match(deadDeliveryId, /^dlv_/);
    await shot('event.png');

    await row.getByRole('link', { name: deadDeliveryId }).click();
    await page.getByRole('heading', { level: 1, name: 'Delivery' }).waitFor();
    const attempts = page.locator('ol.timeline > li');
    assert.equal(await attempts.count(), 3);
    const first = await attempts.nth(0).textContent();
    assert.match(first, /#1/);
    assert.match(first, /HTTP 500/);
    assert.match(first, /\d+ ms/);
    assert.match(first, /http/);
    assert.match(first, /receiver is down \(browser test\)/);
    await shot('delivery.png');
  });

  it('lists the dead letter and replays it after the receiver is fixed', async () => {
    await nav('Dead letters').click();
    await page.getByRole('heading', { level: 1, name: 'Dead letters' }).waitFor();
    const row = rowWith(deadDeliveryId);
    await row.waitFor();
    assert.match(await row.textContent(), /order\.failed/);
    await until('dead counter', async () =>
      Number(await page.locator('[data-counter="dead"] .tile-value').textContent()) === 1);
    await shot('dead-letters.png');

    receiver.failing = false;
    await row.getByRole('button', { name: `Replay ${deadDeliveryId}` }).click();
    await row.locator('.badge-succeeded').waitFor();
    await until('dead counter back to 0', async () =>
      (await page.locator('[data-counter="dead"] .tile-value').textContent()) === '0');
    const ok = receiver.requests.filter((r) => r.headers['x-axon-delivery-id'] === deadDeliveryId && !r.failed);
    assert.equal(ok.length, 1);
    assert.equal(ok[0].headers['x-axon-attempt'], '4', 'attempt numbers continue after a replay');
    await shot('replayed.png');
  });

  it('recovers all of an endpoint\u2019s dead letters since a time, with progress', async () => {
    receiver.failing = true;
    const ids = [];
    for (let i = 0; i < 3; i += 1) {
      ids.push((await api('POST', `/v1/tenants/${tid}/events`, { type: 'invoice.paid', data: { i } })).id);
    }
    await until('three new dead letters', async () =>
      (await api('GET', `/v1/tenants/${tid}/dead-letters?endpoint_id=${endpointId}`)).data.length === 3);
    receiver.failing = false;

    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Dead letters' }).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 3);
    const form = page.locator(`form.recover-form[data-endpoint="${endpointId}"]`);
    await form.getByRole('button', { name: 'Recover all since…' }).click();
    const progress = form.locator('.recover-progress');
    await until('recovery to finish', async () => /Recovered 3: all done/.test(await progress.textContent()));
    assert.match(await progress.textContent(), /0 dead letters left/);
    assert.equal(await form.locator('progress').getAttribute('max'), '3');
    for (const id of ids) assert.equal(receiver.okFor(id).length, 1, `event ${id} arrived after recovery`);
    await page.locator('p.empty', { hasText: 'No dead letters' }).waitFor();
    await until('dead counter back to 0', async () =>
      (await page.locator('[data-counter="dead"] .tile-value').textContent()) === '0');
    await shot('recovered.png');
  });

  it('disables and enables an endpoint', async () => {
    await nav('Endpoints').click();
    const row = rowWith(receiver.url);
    await page.locator('details.card > summary', { hasText: 'New endpoint' }).click();
    await page.fill('#ep-description', 'typed, not submitted');
    await row.getByRole('button', { name: 'Disable' }).click();
    await rowWith(receiver.url).locator('.badge-disabled').waitFor();
    assert.equal((await api('GET', `/v1/tenants/${tid}/endpoints/${endpointId}`)).disabled, true);
    // Only the list was refreshed: the form keeps its input, the focus is on the same button.
    assert.equal(await page.inputValue('#ep-description'), 'typed, not submitted');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Enable');
    await rowWith(receiver.url).getByRole('button', { name: 'Enable' }).click();
    await rowWith(receiver.url).locator('.badge-enabled').waitFor();
    assert.equal((await api('GET', `/v1/tenants/${tid}/endpoints/${endpointId}`)).disabled, false);
  });

  it('shows an endpoint’s page and filters deliveries', async () => {
    await page.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { level: 1, name: 'Endpoint' }).waitFor();
    await until('health on the endpoint page', async () => (await page.locator('.facts .rate').count()) === 1);
    assert.equal(await page.locator('tbody tr').count(), 5, 'five deliveries to this endpoint');
    await shot('endpoint.png');
    // Disable and enable here too: the state changes in place, the focus stays on the button.
    await page.locator('main').getByRole('button', { name: 'Disable', exact: true }).click();
    await page.locator('.facts .badge-disabled').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Enable');
    await page.locator('main').getByRole('button', { name: 'Enable', exact: true }).click();
    await page.locator('.facts .badge-enabled').waitFor();

    await nav('Deliveries').click();
    await page.getByRole('heading', { level: 1, name: 'Deliveries' }).waitFor();
    await page.selectOption('#f-status', 'succeeded');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/deliveries\?status=succeeded$/);
    // The list says which query it shows and whether it is still loading: wait for this one,
    // not for rows the previous list happened to have as well.
    await deliveriesShown('status=succeeded').waitFor();
    assert.equal(await page.locator('#deliveries-list tbody .badge-succeeded').count(), 5);

    // A filter changed while the previous one is still loading is the one that counts: the
    // form is not rebuilt under the user's hands, and the older answer is dropped.
    await page.selectOption('#f-status', 'pending');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.selectOption('#f-status', 'dead');
    await page.press('#f-event', 'Enter');
    await page.waitForURL(/deliveries\?status=dead$/);
    await deliveriesShown('status=dead').locator('p.empty', { hasText: 'No deliveries match.' }).waitFor();
    assert.equal(await page.inputValue('#f-status'), 'dead');
  });

  it('keeps what is typed in the filter, and the focus, while the list refreshes', async () => {
    const list = page.locator('#deliveries-list');
    const listed = (eventId) => list.locator('tbody tr', { hasText: eventId });
    const first = await api('POST', `/v1/tenants/${tid}/events`, { type: 'order.refreshed', data: { n: 1 } });
    await until('the first event delivered', () => receiver.okFor(first.id).length === 1);
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.waitForURL(/\/deliveries$/);
    await deliveriesShown('').waitFor();
    assert.equal(await page.inputValue('#f-status'), '');

    // The periodic refresh re-renders the rows; a focused link in them stays focused.
    const link = listed(first.id).getByRole('link', { name: /^dlv_/ });
    await listed(first.id).waitFor();
    const deliveryId = await link.textContent();
    await link.focus();
    const second = await api('POST', `/v1/tenants/${tid}/events`, { type: 'order.refreshed', data: { n: 2 } });
    await until('the second event listed by a refresh', async () => (await listed(second.id).count()) === 1);
    assert.equal(await page.evaluate(() => document.activeElement.textContent), deliveryId);

    // Type a filter but do not apply it; more refreshes happen, with new rows...
    await page.selectOption('#f-status', 'succeeded');
    await page.click('#f-event');
    await page.keyboard.type(first.id);
    const third = await api('POST', `/v1/tenants/${tid}/events`, { type: 'order.refreshed', data: { n: 3 } });
    await until('the third event listed by a refresh', async () => (await listed(third.id).count()) === 1);
    const refreshes = Number(await list.getAttribute('data-refreshes'));
    await until('one more refresh', async () => Number(await list.getAttribute('data-refreshes')) > refreshes);
    // ...and the form still holds exactly what was typed, with the focus where it was.
    assert.match(page.url(), /\/deliveries$/);
    assert.equal(await page.inputValue('#f-status'), 'succeeded');
    assert.equal(await page.inputValue('#f-event'), first.id);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'f-event');
    // Enter (where the focus is) applies it.
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`deliveries\\?status=succeeded&event_id=${first.id}$`));
    await deliveriesShown(`status=succeeded&event_id=${first.id}`).waitFor();
    assert.equal(await list.locator('tbody tr').count(), 1);
    assert.equal(await listed(first.id).count(), 1);
  });

  it('lists the event-type catalogue: deprecated badge, schema as text, pages', async () => {
    const schema = {
      type: 'object',
      required: ['order'],
      properties: {
        order: { type: 'integer', minimum: 1 },
        note: { type: 'string', description: '<b>text, not markup</b>' },
      },
    };
    await api('POST', `/v1/tenants/${tid}/event-types`,
      { name: 'order.created', description: 'An order was placed <i>(browser test)</i>', schema });
    await api('POST', `/v1/tenants/${tid}/event-types`,
      { name: 'invoice.paid', description: 'Superseded by invoice.settled', deprecated: true });
    // Enough for a second page (the dashboard asks for 50 at a time).
    for (let i = 0; i < 51; i += 1) {
      await api('POST', `/v1/tenants/${tid}/event-types`, { name: `zz.bulk_${String(i).padStart(2, '0')}` });
    }

    await nav('Event types').click();
    await page.getByRole('heading', { level: 1, name: 'Event types' }).waitFor();
    const list = page.locator('#catalogue-list');
    const row = (name) => list.locator(`tbody tr[data-id="${name}"]`);
    await row('invoice.paid').waitFor();
    assert.equal(await list.locator('tbody tr').count(), 50, 'the first page');
    assert.deepEqual((await list.locator('.type-name').allTextContents()).slice(0, 3),
      ['invoice.paid', 'order.created', 'zz.bulk_00'], 'by name');

    // Deprecated: the badge, and no schema.
    assert.equal(await row('invoice.paid').locator('.badge-deprecated').textContent(), 'deprecated');
    assert.equal(await row('invoice.paid').locator('.schema-cell').textContent(), 'none');
    assert.match(await row('invoice.paid').textContent(), /Superseded by invoice\.settled/);

    // With a schema: not deprecated, the schema opens as pretty-printed JSON text.
    const typed = row('order.created');
    assert.equal(await typed.locator('.badge-deprecated').count(), 0);
    assert.ok((await typed.textContent()).includes('An order was placed <i>(browser test)</i>'));
    const pre = typed.locator('pre.schema-json');
    assert.equal(await pre.isVisible(), false, 'the schema is folded until asked for');
    await typed.locator('details.schema > summary').click();
    await pre.waitFor({ state: 'visible' });
    const text = await pre.textContent();
    assert.deepEqual(JSON.parse(text), schema);
    assert.match(text, /\n {2}"properties": \{\n/, 'indented');
    assert.ok(text.includes('"description": "<b>text, not markup</b>"'));
    assert.equal(await page.locator('main b, main i').count(), 0, 'API data never becomes markup');
    await shot('catalogue.png');

    await list.getByRole('button', { name: 'Load more' }).click();
    await until('the second page', async () => (await list.locator('tbody tr').count()) === 53);
    assert.equal(await list.getByRole('button', { name: 'Load more' }).count(), 0);
    const names = await list.locator('.type-name').allTextContents();
    assert.deepEqual(names, [...new Set(names)].sort(), 'by name, no repeats');
  });

  it('searches events by type, id and time range', async () => {
    await nav('Events').click();
    await page.fill('#s-type', 'invoice.paid');
    await page.press('#s-type', 'Enter');
    await page.waitForURL(/events\?type=invoice\.paid/);
    await until('three invoice events', async () => (await page.locator('tbody tr').count()) === 3);
    assert.equal(await rowWith('order.created').count(), 0);

    const all = (await api('GET', `/v1/tenants/${tid}/events`)).data;
    const oldest = all[all.length - 1];
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.fill('#s-id', oldest.id);
    await page.press('#s-id', 'Enter');
    await until('one event by id', async () => (await page.locator('tbody tr').count()) === 1);
    assert.match(await page.locator('tbody tr').textContent(), /order\.created/);

    // A time range in the future has nothing.
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.fill('#s-since', '2999-01-01T00:00:00');
    await page.press('#s-since', 'Enter');
    await page.locator('p.empty', { hasText: 'No events match.' }).waitFor();
  });

  it('works in a narrow window without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 380, height: 900 });
    await nav('Dead letters').click();
    await page.getByRole('heading', { level: 1, name: 'Dead letters' }).waitFor();
    await nav('Endpoints').click();
    await page.getByRole('heading', { level: 1, name: 'Endpoints' }).waitFor();
    await until('health to load', async () => (await page.locator('.rate').count()) > 0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than a 380px window`);
    await shot('dashboard-narrow.png');
    // The catalogue with a schema open fits as well.
    await nav('Event types').click();
    await page.locator('#catalogue-list tr[data-id="order.created"] details.schema > summary').click();
    await page.locator('#catalogue-list pre.schema-json').first().waitFor({ state: 'visible' });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(wide <= 0, `the catalogue is ${wide}px wider than a 380px window`);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('marks an operational endpoint with a badge (when the server has them)', async (t) => {
    // Operational endpoints receive the delivery system's own events. The dashboard shows the
    // badge only when an endpoint says `"operational": true`, so it works with servers either way.
    const opsUrl = receiver.url.replace(/\/hooks$/, '/ops-hooks');
    const res = await fetch(`${base}/v1/tenants/${tid}/endpoints`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: opsUrl, operational: true }),
    });
    const ep = res.ok ? await res.json() : null;
    if (!ep || ep.operational !== true) {
      if (ep) await api('DELETE', `/v1/tenants/${tid}/endpoints/${ep.id}`);
      t.skip(`this server has no operational endpoints (${res.status})`);
      return;
    }
    await nav('Endpoints').click();
    await page.getByRole('heading', { level: 1, name: 'Endpoints' }).waitFor();
    const ops = page.locator(`tbody tr[data-id="${ep.id}"]`);
    assert.equal(await ops.locator('.badge-operational').textContent(), 'operational');
    assert.equal(await page.locator(`tbody tr[data-id="${endpointId}"] .badge-operational`).count(), 0);
    await ops.getByRole('link', { name: opsUrl }).click();
    await page.getByRole('heading', { level: 1, name: 'Endpoint' }).waitFor();
    assert.equal(await page.locator('.facts .badge-operational').textContent(), 'operational');
    await api('DELETE', `/v1/tenants/${tid}/endpoints/${ep.id}`);
  });

  it('signs in with a tenant API key and its tenant id', async () => {
    await nav('Tenants').click();
    const row = rowWith(tid);
    await row.getByRole('button', { name: 'Create API key' }).click();
    const key = await until('the new key', async () => {
      const text = await row.locator('.secret code').textContent({ timeout: 500 });
      return text && text.length > 10 ? text : null;
    });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#token').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('axon.session')), null);

    await page.fill('#token', key);
    await page.fill('#tenant', '');
    await page.press('#token', 'Enter');
    await page.locator('.form-status.error', { hasText: 'tenant' }).waitFor();
    await page.fill('#tenant', tid);
    await page.press('#tenant', 'Enter');
    await page.waitForURL(new RegExp(`#/tenants/${tid}/endpoints$`));
    await rowWith(receiver.url).waitFor();
    assert.equal(await nav('Tenants').count(), 0);
  });

  it('made no request outside the server and raised no script errors', () => {
    assert.deepEqual(offsite, []);
    assert.deepEqual(pageErrors, []);
  });
});
