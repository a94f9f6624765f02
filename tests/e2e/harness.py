"""End-to-end harness: the real axon-webhooks binary, real HTTP receivers on 127.0.0.1.

Only the Python standard library is used, so the tests run wherever python3 does.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AXON_BIN = os.environ.get("AXON_BIN", os.path.join(os.path.dirname(__file__), "../../build/dev/axon-webhooks"))


def wait_until(predicate, timeout=10.0, interval=0.02, message="condition"):
    """Polls `predicate` until it returns a truthy value or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `axon-webhooks serve` process on 127.0.0.1 port 0 with its own data dir."""

    def __init__(self, *extra_args, db=None, workdir=None, env=None, admin_token=None):
        self.workdir = workdir or tempfile.mkdtemp(prefix="axon-e2e-")
        self.db = db or f"sqlite:{self.workdir}/axon.db"
        self.admin_token = admin_token or "axadm_test_" + secrets.token_urlsafe(24)
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, **(env or {}))
        self.log_path = os.path.join(self.workdir, "server.log")
        self.proc = None
        self.url = None

    def start(self, timeout=20.0):
        args = [AXON_BIN, "serve", "--db", self.db, "--listen", "127.0.0.1:0",
                "--admin-token", self.admin_token, "--allow-private-targets",
                "--master-key-file", os.path.join(self.workdir, "axon.key"), *self.extra_args]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                break
            if line.startswith("listening on "):
                self.url = line.split("listening on ", 1)[1].strip()
                host_port = self.url.split("//", 1)[1]
                self.host, port = host_port.rsplit(":", 1)
                self.port = int(port)
                return self
        self.proc.kill()
        raise AssertionError("server did not start; log:\n" + self.read_log())

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def terminate(self, timeout=30):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self.log.close()
        return code

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- API client ---
    def request(self, method, path, body=None, token=None, headers=None, raw=None):
        """Returns (status, parsed JSON or text, response headers)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        hdrs = {"Authorization": f"Bearer {token or self.admin_token}"}
        if token == "":
            hdrs = {}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return resp.status, parsed, {k.lower(): v for k, v in resp.getheaders()}

    def ok(self, method, path, body=None, token=None, headers=None, expect=(200, 201, 202, 204)):
        status, parsed, _ = self.request(method, path, body, token, headers)
        if status not in expect:
            raise AssertionError(f"{method} {path} -> {status}: {parsed}")
        return parsed

    # --- common setup ---
    def tenant_with_key(self, name="acme"):
        tenant = self.ok("POST", "/v1/tenants", {"name": name})
        key = self.ok("POST", f"/v1/tenants/{tenant['id']}/api-keys")
        return tenant["id"], key["key"]


class Receiver:
    """An HTTP receiver on 127.0.0.1:0 recording every request (HTTPS with `tls_context`,
    an ssl.SSLContext for the server side; its url then names "localhost").

    `behaviour(request_index, request) -> (status, headers, body, delay_seconds)` scripts the
    answers; the default answers 204 at once.
    """

    def __init__(self, behaviour=None, tls_context=None):
        self.requests = []
        self.lock = threading.Lock()
        self.behaviour = behaviour or (lambda i, r: (204, {}, b"", 0))
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                          "body": body, "at": time.time()}
                if tls_context is not None:
                    record["client_certificate"] = self.connection.getpeercert()
                with receiver.lock:
                    index = len(receiver.requests)
                    receiver.requests.append(record)
                status, headers, payload, delay = receiver.behaviour(index, record)
                if delay:
                    time.sleep(delay)
                if status is None:  # drop the connection without an answer
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        if tls_context is not None:  # HTTPS: the handshake runs in each connection's thread
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True,
                                                         do_handshake_on_connect=False)
            # A refused handshake (e.g. no client certificate) is expected, not a test error.
            self.server.handle_error = lambda request, client_address: None
            self.url = f"https://localhost:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def count(self):
        with self.lock:
            return len(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- signature checks written from docs/receiving.md, independent of the server's code ---

def verify_axon_signature(secret, header, body):
    parts = [p.split("=", 1) for p in header.split(",")]
    t = [v for k, v in parts if k == "t"][0]
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1"), int(t)


def verify_standard_signature(secret, msg_id, timestamp, header, body):
    key = base64.b64decode(secret[len("whsec_"):])
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(mac).decode()
    return any(hmac.compare_digest(expected, entry.split(",", 1)[1])
               for entry in header.split(" ") if entry.startswith("v1,"))
