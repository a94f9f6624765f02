// Helpers of the dashboard browser test (dashboard.test.mjs): polling a condition, the real
// server started and stopped as a child process, and a receiver whose failure can be toggled.
// Not a test file itself (node --test does not pick it up by its name).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';

export const ADMIN_TOKEN = 'admin-browser-test-token-0123456789';
export const WAIT = 20_000;  // generous per-step deadline; every wait is on a condition, never a sleep

// Polls `check` until it returns a truthy value or the deadline passes.
export async function until(what, check, timeoutMs = WAIT) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The real server: prints "listening on http://HOST:PORT" once it is ready.
export function startServer(dir) {
  const bin = process.env.AXON_BIN;
  assert.ok(bin, 'AXON_BIN must point at the axon-webhooks binary');
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('AXON_')) delete env[k];
  const child = spawn(bin, [
    'serve', '--db', `sqlite:${path.join(dir, 'axon.db')}`, '--listen', '127.0.0.1:0',
    '--admin-token', ADMIN_TOKEN, '--allow-private-targets', '--retry-schedule', '50ms,100ms',
    '--master-key-file', path.join(dir, 'axon.key'),
  ], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}\n${stderr}`)), 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}\n${stderr}`));
    });
  });
  return { child, url, stderr: () => stderr };
}

export function stopServer(child) {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

// A webhook receiver on 127.0.0.1 that answers 200, or 500 while `failing` is set.
export function startReceiver() {
  const state = { failing: false, requests: [] };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const failed = state.failing;
      state.requests.push({ headers: req.headers, body: JSON.parse(body), failed });
      if (failed) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('receiver is down (browser test)');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      state.url = `http://127.0.0.1:${server.address().port}/hooks`;
      state.close = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
      state.okFor = (eventId) => state.requests.filter((r) => r.body.id === eventId && !r.failed);
      state.allFor = (eventId) => state.requests.filter((r) => r.body.id === eventId);
      resolve(state);
    });
  });
}
