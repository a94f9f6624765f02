"""Helpers of the receiver-toolkit end-to-end tests (test_receiver_toolkit.py): signing a
delivery by hand, posting it, child processes whose output is read as it comes (`listen`, the
guide's snippets), the endpoint dance that learns a secret before its receiver exists, and
the other verifiers (`axon-webhooks verify`, the npm packages through node).
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import subprocess
import threading

from harness import AXON_BIN, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.join(HERE, "interop")
NODE = shutil.which("node")
PLACEHOLDER_URL = "http://127.0.0.1:9/hook"  # endpoints start disabled here, then point at a receiver


def sign(secret, event_id, t, body, secrets=None):
    """All signature headers of a delivery, computed here with hmac (docs/receiving.md)."""
    secrets = secrets or [secret]
    message = f"{t}.".encode() + body
    axon = f"t={t}" + "".join(
        ",v1=" + hmac.new(s.encode(), message, hashlib.sha256).hexdigest() for s in secrets)
    standard = " ".join(
        "v1," + base64.b64encode(hmac.new(base64.b64decode(s[len("whsec_"):]),
                                          f"{event_id}.".encode() + message,
                                          hashlib.sha256).digest()).decode() for s in secrets)
    return {"Content-Type": "application/json", "X-Axon-Event": "test.event",
            "X-Axon-Event-Id": event_id, "X-Axon-Delivery-Id": "dlv_direct", "X-Axon-Attempt": "1",
            "X-Axon-Signature": axon, "webhook-id": event_id, "webhook-timestamp": str(t),
            "webhook-signature": standard}


def post(url, body, headers):
    """POST to http://127.0.0.1:PORT/path; returns (status, body bytes)."""
    host_port, _, path = url.split("//", 1)[1].partition("/")
    host, port = host_port.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("POST", "/" + path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data



class Process:
    """A child process whose stdout lines are collected by a thread."""

    def __init__(self, args, env=None, cwd=None, ready_prefix="listening on "):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=dict(os.environ, **(env or {})), cwd=cwd)
        self.lines, self.err_lines = [], []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines),
                                         daemon=True),
                        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err_lines),
                                         daemon=True)]
        for t in self.threads:
            t.start()
        self.url = None
        if ready_prefix:
            line = wait_until(lambda: self._first(ready_prefix) or self._dead(), timeout=30,
                              message=f"{args[0]} to print '{ready_prefix}'")
            if not line.startswith(ready_prefix):
                raise AssertionError(f"{args} exited early: {self.stderr()}")
            self.url = line[len(ready_prefix):].strip()

    def _pump(self, stream, into):
        for raw in stream:
            with self.lock:
                into.append(raw.decode(errors="replace").rstrip("\n"))

    def _first(self, prefix):
        with self.lock:
            return next((line for line in self.lines if line.startswith(prefix)), None)

    def _dead(self):
        return "" if self.proc.poll() is None else "<exited>"

    def stdout(self):
        with self.lock:
            return list(self.lines)

    def stderr(self):
        with self.lock:
            return "\n".join(self.err_lines)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self._close()
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()

    def _close(self):
        for t in self.threads:
            t.join(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()


class Listen(Process):
    """`axon-webhooks listen --json` on 127.0.0.1:0: one parsed JSON line per request."""

    def __init__(self, secret, *extra):
        super().__init__([AXON_BIN, "listen", "--port", "0", "--secret", secret, "--json", *extra])
        self.hook = self.url + "/hook"

    def records(self):
        return [json.loads(line) for line in self.stdout() if line.startswith("{")]


def endpoint_for_later(server, tid, key, **fields):
    """A disabled endpoint (so its secret is known before its receiver starts)."""
    return server.ok("POST", f"/v1/tenants/{tid}/endpoints",
                     {"url": PLACEHOLDER_URL, "disabled": True, **fields}, token=key)


def point_endpoint(server, tid, key, endpoint, url):
    server.ok("PATCH", f"/v1/tenants/{tid}/endpoints/{endpoint['id']}",
              {"url": url, "disabled": False}, token=key)


def wait_delivery(server, tid, key, delivery_id, status="succeeded", timeout=20):
    def done():
        d = server.ok("GET", f"/v1/tenants/{tid}/deliveries/{delivery_id}", token=key)
        return d if d["status"] == status else None
    return wait_until(done, timeout=timeout, message=f"delivery {delivery_id} to be {status}")


def run_verify(secret, headers, body, *extra, header_names=None):
    args = [AXON_BIN, "verify", "--secret", secret, *extra]
    for name, value in headers.items():
        if header_names is None or name.lower() in header_names:
            args += ["--header", f"{name}: {value}"]
    return subprocess.run(args, input=body, capture_output=True, timeout=30)


def node_verify(secret, headers, body):
    payload = json.dumps({"secret": secret, "headers": {k.lower(): v for k, v in headers.items()},
                          "body_base64": base64.b64encode(body).decode()})
    out = subprocess.run([NODE, os.path.join(INTEROP, "verify_delivery.js")], input=payload.encode(),
                         capture_output=True, timeout=60, cwd=INTEROP)
    if out.returncode != 0:
        raise AssertionError(f"verify_delivery.js failed: {out.stderr.decode()}")
    return json.loads(out.stdout)
