"""Receiver toolkit end to end: deliveries made by the real server are verified by code nobody
here wrote (the npm packages standardwebhooks, svix and stripe), by Python's hmac module, by
`axon-webhooks verify` and by `axon-webhooks listen` used as the endpoint; the receiver guide's
snippets (docs/receiving.md and docs/receiving.pt-BR.md) run as real receivers.

Node is on every machine that runs this suite (scripts/deps.sh); the npm packages are
installed by scripts/npm-deps.sh (npm ci, pinned by tests/e2e/interop/package-lock.json).
"""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import (AXON_BIN, Receiver, Server, free_port, verify_axon_signature,
                     verify_standard_signature, wait_until)
from toolkit_support import (NODE, Listen, Process, endpoint_for_later, node_verify, point_endpoint,
                             post, run_verify, sign, wait_delivery)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SNIPPETS = os.path.join(HERE, "snippets")
DOCS = [os.path.join(ROOT, "docs", name) for name in ("receiving.md", "receiving.pt-BR.md")]
NO_NODE = "node is not installed (scripts/deps.sh browser installs it): npm interop tests skipped"


def setUpModule():
    if NODE:
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "npm-deps.sh")], check=True,
                       timeout=300)


# --- deliveries made by the real server, checked by other verifiers ---

class RealDeliveryVerifiersTest(unittest.TestCase):
    """One server, two real deliveries: one plain, one signed during a secret rotation."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.receiver = Receiver()
        tid, key = cls.server.tenant_with_key()
        endpoint = cls.server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": cls.receiver.url},
                                 token=key)
        cls.secret = endpoint["secret"]
        cls.event = cls.server.ok("POST", f"/v1/tenants/{tid}/events",
                                  {"type": "order.updated",
                                   "data": {"name": "café ☕", "total": 12.5, "items": [1, 2]}},
                                  token=key)
        wait_until(lambda: cls.receiver.count() == 1, message="the first delivery")
        cls.delivery = cls.receiver.snapshot()[0]
        rotated = cls.server.ok("POST", f"/v1/tenants/{tid}/endpoints/{endpoint['id']}/rotate-secret",
                                token=key)
        cls.new_secret = rotated["secret"]
        cls.server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "order.paid", "data": {}},
                      token=key)
        wait_until(lambda: cls.receiver.count() == 2, message="the rotated delivery")
        cls.rotated = cls.receiver.snapshot()[1]

    @classmethod
    def tearDownClass(cls):
        cls.receiver.close()
        cls.server.__exit__(None, None, None)

    def test_python_hmac_verifies_both_schemes(self):
        h, body = self.delivery["headers"], self.delivery["body"]
        ok, t = verify_axon_signature(self.secret, h["x-axon-signature"], body)
        self.assertTrue(ok)
        self.assertLess(abs(time.time() - t), 120)
        self.assertTrue(verify_standard_signature(self.secret, h["webhook-id"],
                                                  h["webhook-timestamp"], h["webhook-signature"],
                                                  body))
        self.assertFalse(verify_axon_signature(self.secret, h["x-axon-signature"], body + b" ")[0])
        self.assertFalse(verify_standard_signature(self.new_secret, h["webhook-id"],
                                                   h["webhook-timestamp"], h["webhook-signature"],
                                                   body))

    @unittest.skipUnless(NODE, NO_NODE)
    def test_npm_standardwebhooks_svix_and_stripe_accept_a_real_delivery(self):
        result = node_verify(self.secret, self.delivery["headers"], self.delivery["body"])
        print("\nnpm verifiers:", result["versions"])
        for lib in ("standardwebhooks", "svix", "stripe"):
            self.assertTrue(result[lib]["ok"], f"{lib}: {result[lib]}")
            self.assertEqual(result[lib]["event"]["id"], self.event["id"], lib)
            self.assertEqual(result[lib]["event"]["data"]["name"], "café ☕", lib)

    @unittest.skipUnless(NODE, NO_NODE)
    def test_npm_verifiers_reject_a_tampered_body_and_a_wrong_secret(self):
        h, body = self.delivery["headers"], self.delivery["body"]
        tampered = node_verify(self.secret, h, body.replace(b"12.5", b"99.5"))
        wrong = node_verify(self.new_secret, h, body)
        for lib in ("standardwebhooks", "svix", "stripe"):
            self.assertFalse(tampered[lib]["ok"], lib)
            self.assertFalse(wrong[lib]["ok"], lib)
        self.assertIn("signature", tampered["stripe"]["error"].lower())

    @unittest.skipUnless(NODE, NO_NODE)
    def test_npm_verifiers_accept_a_rotation_delivery_with_either_secret(self):
        h = self.rotated["headers"]
        self.assertEqual(h["x-axon-signature"].count("v1="), 2)
        self.assertEqual(len(h["webhook-signature"].split(" ")), 2)
        for secret in (self.secret, self.new_secret):
            result = node_verify(secret, h, self.rotated["body"])
            for lib in ("standardwebhooks", "svix", "stripe"):
                self.assertTrue(result[lib]["ok"], f"{lib}: {result[lib]}")

    def test_cli_verify_accepts_real_deliveries(self):
        body = self.delivery["body"]
        for names in (None, {"x-axon-signature"}, {"webhook-id", "webhook-timestamp",
                                                   "webhook-signature"}):
            out = run_verify(self.secret, self.delivery["headers"], body, header_names=names)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(out.stdout, body + b"\n")
            self.assertIn(b"verified", out.stderr)
        for secret in (self.secret, self.new_secret):
            out = run_verify(secret, self.rotated["headers"], self.rotated["body"])
            self.assertEqual(out.returncode, 0, out.stderr)

    def test_cli_verify_reads_the_body_from_a_file(self):
        path = os.path.join(self.server.workdir, "body.json")
        with open(path, "wb") as f:
            f.write(self.delivery["body"])
        out = run_verify(self.secret, self.delivery["headers"], b"", "--body", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout)["id"], self.event["id"])

    def test_cli_verify_rejects_with_the_reason(self):
        h, body = self.delivery["headers"], self.delivery["body"]
        cases = [
            (run_verify(self.new_secret, h, body), b"no_matching_signature"),
            (run_verify(self.secret, h, body + b" "), b"no_matching_signature"),
            (run_verify(self.secret, {"content-type": "application/json"}, body), b"missing_header"),
            (run_verify(self.secret, {"X-Axon-Signature": "t=soon,v1=00"}, body), b"malformed_header"),
            (run_verify(self.secret, {"webhook-id": h["webhook-id"]}, body), b"missing_header"),
        ]
        for out, reason in cases:
            self.assertEqual(out.returncode, 1, out.stderr)
            self.assertIn(reason, out.stderr)
            self.assertEqual(out.stdout, b"")

    def test_cli_verify_timestamp_window(self):
        body = b'{"id":"evt_old","type":"a.b"}'
        old = sign(self.secret, "evt_old", int(time.time()) - 600, body)
        out = run_verify(self.secret, old, body)
        self.assertEqual(out.returncode, 1)
        self.assertIn(b"timestamp_too_old", out.stderr)
        self.assertEqual(run_verify(self.secret, old, body, "--tolerance", "15m").returncode, 0)
        self.assertEqual(run_verify(self.secret, old, body, "--tolerance", "0").returncode, 0)
        future = sign(self.secret, "evt_old", int(time.time()) + 600, body)
        out = run_verify(self.secret, future, body)
        self.assertEqual(out.returncode, 1)
        self.assertIn(b"timestamp_too_new", out.stderr)
        bad = run_verify(self.secret, old, body, "--tolerance", "soon")
        self.assertEqual(bad.returncode, 2)


# --- axon-webhooks listen as the endpoint ---

class ListenTest(unittest.TestCase):
    def setUp(self):
        self.processes = []

    def tearDown(self):
        for p in self.processes:
            p.kill()

    def listen(self, secret, *extra):
        p = Listen(secret, *extra)
        self.processes.append(p)
        return p

    def setup_endpoint(self, server, **fields):
        tid, key = server.tenant_with_key()
        endpoint = endpoint_for_later(server, tid, key, **fields)
        return tid, key, endpoint

    def test_receives_and_verifies_real_deliveries(self):
        with Server() as server:
            tid, key, endpoint = self.setup_endpoint(server)
            listen = self.listen(endpoint["secret"])
            self.assertRegex(listen.url, r"^http://127\.0\.0\.1:\d+$")
            point_endpoint(server, tid, key, endpoint, listen.hook)
            events = [server.ok("POST", f"/v1/tenants/{tid}/events",
                                {"type": t, "data": {"n": i}}, token=key)
                      for i, t in enumerate(["order.created", "order.updated"])]
            wait_until(lambda: len(listen.records()) == 2, message="two deliveries at listen")
            records = sorted(listen.records(), key=lambda r: r["type"])
            for record, event in zip(records, events):
                self.assertTrue(record["valid"], record)
                self.assertEqual(record["scheme"], "standard_webhooks")
                self.assertEqual(record["type"], event["type"])
                self.assertEqual(record["event_id"], event["id"])
                self.assertTrue(record["delivery_id"].startswith("dlv_"))
                self.assertEqual(record["attempt"], "1")
                self.assertEqual(record["status"], 200)
                self.assertEqual(record["path"], "/hook")
                self.assertEqual(json.loads(record["body"])["id"], event["id"])
                d = wait_delivery(server, tid, key, record["delivery_id"])
                self.assertEqual(d["attempts"][-1]["status_code"], 200)

            # Forged, stale and unsigned requests are refused with 4xx.
            body = b'{"id":"evt_forged","type":"a.b"}'
            forged = sign("whsec_" + base64.b64encode(b"x" * 32).decode(), "evt_forged",
                          int(time.time()), body)
            self.assertEqual(post(listen.hook, body, forged)[0], 401)
            stale = sign(endpoint["secret"], "evt_stale", int(time.time()) - 3600, body)
            self.assertEqual(post(listen.hook, body, stale)[0], 401)
            status, answer = post(listen.hook, body, {"Content-Type": "application/json"})
            self.assertEqual(status, 400)
            self.assertEqual(json.loads(answer)["error"], "missing_header")
            wait_until(lambda: len(listen.records()) == 5)
            reasons = [r["reason"] for r in listen.records()[2:]]
            self.assertEqual(reasons, ["no_matching_signature", "timestamp_too_old", "missing_header"])
            self.assertTrue(all(not r["valid"] for r in listen.records()[2:]))
            self.assertEqual(listen.stop(signal.SIGTERM), 0)

    def test_fail_first_two_then_the_third_attempt_succeeds(self):
        with Server("--retry-schedule", "50ms,100ms,200ms") as server:
            tid, key, endpoint = self.setup_endpoint(server)
            listen = self.listen(endpoint["secret"], "--fail-first", "2")
            point_endpoint(server, tid, key, endpoint, listen.hook)
            server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "order.created", "data": {}},
                      token=key)
            wait_until(lambda: len(listen.records()) == 3, timeout=20, message="three attempts")
            records = listen.records()
            self.assertEqual([r["attempt"] for r in records], ["1", "2", "3"])
            self.assertEqual([r["status"] for r in records], [500, 500, 200])
            self.assertTrue(all(r["valid"] for r in records))
            self.assertEqual(len({r["delivery_id"] for r in records}), 1)
            self.assertEqual(len({r["event_id"] for r in records}), 1)
            d = wait_delivery(server, tid, key, records[0]["delivery_id"])
            self.assertEqual([a["status_code"] for a in d["attempts"]], [500, 500, 200])
            time.sleep(0.5)  # nothing more arrives once it succeeded
            self.assertEqual(len(listen.records()), 3)

    def test_status_and_delay(self):
        with Server() as server:
            tid, key, endpoint = self.setup_endpoint(server)
            listen = self.listen(endpoint["secret"], "--status", "202", "--delay", "300ms")
            point_endpoint(server, tid, key, endpoint, listen.hook)
            server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {}}, token=key)
            wait_until(lambda: listen.records(), message="the delivery")
            d = wait_delivery(server, tid, key, listen.records()[0]["delivery_id"])
            self.assertEqual(d["attempts"][0]["status_code"], 202)
            self.assertGreaterEqual(d["attempts"][0]["duration_ms"], 290)

    def test_fail_rate(self):
        secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
        body = b'{"id":"evt_1","type":"a.b"}'
        always = self.listen(secret, "--fail-rate", "1")
        never = self.listen(secret, "--fail-rate", "0")
        for _ in range(5):
            self.assertEqual(post(always.hook, body, sign(secret, "evt_1", int(time.time()), body))[0],
                             500)
            self.assertEqual(post(never.hook, body, sign(secret, "evt_1", int(time.time()), body))[0],
                             200)
        wait_until(lambda: len(always.records()) == 5)
        self.assertIn("--fail-rate", always.records()[0]["note"])

    def test_forward_passes_verified_deliveries_on(self):
        app = Receiver(lambda i, r: (202, {}, b'{"queued":true}', 0))
        self.addCleanup(app.close)
        with Server() as server:
            tid, key, endpoint = self.setup_endpoint(server)
            listen = self.listen(endpoint["secret"], "--forward", app.url)
            point_endpoint(server, tid, key, endpoint, listen.hook)
            event = server.ok("POST", f"/v1/tenants/{tid}/events",
                              {"type": "order.created", "data": {"x": "ü"}}, token=key)
            wait_until(lambda: app.count() == 1, message="the forwarded delivery")
            got = app.snapshot()[0]
            self.assertEqual(json.loads(got["body"])["id"], event["id"])
            ok, _ = verify_axon_signature(endpoint["secret"], got["headers"]["x-axon-signature"],
                                          got["body"])
            self.assertTrue(ok, "forwarded with the original signature and body")
            self.assertEqual(got["headers"]["x-axon-event-id"], event["id"])
            self.assertIn("webhook-signature", got["headers"])
            # listen prints its line after forwarding: the app may have the request first.
            wait_until(lambda: listen.records(), message="listen's line for the delivery")
            d = wait_delivery(server, tid, key, listen.records()[0]["delivery_id"])
            self.assertEqual(d["attempts"][0]["status_code"], 202)  # the app's answer

            # Invalid deliveries are not forwarded.
            body = b'{"id":"evt_x","type":"a.b"}'
            self.assertEqual(post(listen.hook, body, {"X-Axon-Signature": "t=1,v1=00"})[0], 401)
            time.sleep(0.2)
            self.assertEqual(app.count(), 1)

    def test_forward_to_a_dead_app_answers_502(self):
        secret = "whsec_" + base64.b64encode(b"f" * 32).decode()
        listen = self.listen(secret, "--forward", f"http://127.0.0.1:{free_port()}/gone")
        body = b'{"id":"evt_1","type":"a.b"}'
        self.assertEqual(post(listen.hook, body, sign(secret, "evt_1", int(time.time()), body))[0], 502)

    def test_pretty_output_and_sigint(self):
        secret = "whsec_" + base64.b64encode(b"p" * 32).decode()
        p = Process([AXON_BIN, "listen", "--port", "0", "--secret", secret])
        self.processes.append(p)
        body = b'{"id":"evt_pretty","type":"invoice.paid","data":{"amount":42}}'
        self.assertEqual(post(p.url + "/hook", body,
                              sign(secret, "evt_pretty", int(time.time()), body))[0], 200)
        wait_until(lambda: any('"amount": 42' in line for line in p.stdout()),
                   message="the pretty-printed body")
        text = "\n".join(p.stdout())
        self.assertTrue(p.stdout()[0].startswith("listening on http://127.0.0.1:"))
        self.assertIn("POST /hook  test.event", text)
        self.assertIn("event id:    evt_pretty", text)
        self.assertIn("delivery id: dlv_direct", text)
        self.assertIn("attempt:     1", text)
        self.assertIn("signature:   valid (standard_webhooks", text)
        self.assertIn("answer:      200", text)
        self.assertEqual(p.stop(signal.SIGINT), 0)

    def test_rejects_bad_options(self):
        out = subprocess.run([AXON_BIN, "listen", "--port", "0"], capture_output=True, timeout=30)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn(b"--secret", out.stderr + out.stdout)
        out = subprocess.run([AXON_BIN, "listen", "--port", "0", "--secret", "s", "--delay", "soon"],
                             capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 2)


# --- the receiver guide's snippets, run against real deliveries ---

class SnippetTest(unittest.TestCase):
    def test_each_guide_shows_each_snippet_verbatim(self):
        for path in DOCS:
            with open(path, encoding="utf-8") as f:
                doc = f.read()
            for name in sorted(os.listdir(SNIPPETS)):
                with open(os.path.join(SNIPPETS, name), encoding="utf-8") as f:
                    self.assertIn(f.read().strip("\n"), doc, f"{name} must appear verbatim in {path}")
            self.assertIn("X-Axon-Event-Id", doc)
            self.assertIn("2xx", doc)
        with open(DOCS[0], encoding="utf-8") as f:
            english = f.read()
        for rule in ("raw body", "5 minutes"):
            self.assertIn(rule, english)

    def run_receiver_snippet(self, args, env=None, port=None, log_from_stderr=False):
        """Starts a snippet receiver, points a real endpoint at it, and checks what it does."""
        with Server() as server:
            tid, key = server.tenant_with_key()
            endpoint = endpoint_for_later(server, tid, key)
            secret = endpoint["secret"]
            ready = None if port else "listening on "
            p = Process(args, env={"AXON_WEBHOOK_SECRET": secret, "PORT": str(port or 0),
                                   **(env or {})}, cwd=SNIPPETS, ready_prefix=ready)
            self.addCleanup(p.kill)
            url = p.url if p.url else f"http://127.0.0.1:{port}"
            if port:
                wait_until(lambda: self._accepts(port), timeout=20, message="the snippet to listen")
            point_endpoint(server, tid, key, endpoint, url + "/hook")
            event = server.ok("POST", f"/v1/tenants/{tid}/events",
                              {"type": "order.created", "data": {"name": "café ☕"}}, token=key)
            logs = (lambda: p.stderr()) if log_from_stderr else (lambda: "\n".join(p.stdout()))
            wait_until(lambda: f"handled order.created {event['id']}" in logs(),
                       message="the snippet to handle the event")
            deliveries = server.ok("GET", f"/v1/tenants/{tid}/deliveries?event_id={event['id']}",
                                   token=key)["data"]
            d = wait_delivery(server, tid, key, deliveries[0]["id"])
            self.assertEqual(d["attempts"][0]["status_code"], 204)

            body = b'{"id":"evt_direct","type":"direct.test","data":{}}'
            headers = sign(secret, "evt_direct", int(time.time()), body)
            self.assertEqual(post(url + "/hook", body, headers)[0], 204)
            self.assertEqual(post(url + "/hook", body + b" ", headers)[0], 400)
            stale = sign(secret, "evt_direct", int(time.time()) - 600, body)
            self.assertEqual(post(url + "/hook", body, stale)[0], 400)
            self.assertEqual(post(url + "/hook", body, {"Content-Type": "application/json"})[0], 400)
            wait_until(lambda: "handled direct.test evt_direct" in logs())
            return p, url, body, headers, logs

    @staticmethod
    def _accepts(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def assert_dedupes(self, url, body, headers, logs):
        self.assertEqual(post(url + "/hook", body, headers)[0], 204)  # a redelivery
        time.sleep(0.3)
        self.assertEqual(logs().count("handled direct.test evt_direct"), 1)

    @unittest.skipUnless(NODE, NO_NODE)
    def test_node_snippet_receives_a_real_delivery(self):
        p, url, body, headers, logs = self.run_receiver_snippet([NODE, "verify_node.js"])
        self.assert_dedupes(url, body, headers, logs)

    def test_python_snippet_receives_a_real_delivery(self):
        import sys
        p, url, body, headers, logs = self.run_receiver_snippet([sys.executable, "verify_python.py"])
        self.assert_dedupes(url, body, headers, logs)

    @unittest.skipUnless(shutil.which("go"), "go is not installed: the Go snippet is not run")
    def test_go_snippet_receives_a_real_delivery(self):
        # Built first: `go run` would leave its child running if the test killed it.
        out_dir = tempfile.mkdtemp(prefix="axon-go-snippet-")
        self.addCleanup(shutil.rmtree, out_dir, True)
        binary = os.path.join(out_dir, "verify_go")
        subprocess.run(["go", "build", "-o", binary, "verify_go.go"], cwd=SNIPPETS, check=True,
                       env=dict(os.environ, GO111MODULE="off"), timeout=300)
        p, url, body, headers, logs = self.run_receiver_snippet([binary])
        self.assert_dedupes(url, body, headers, logs)

    @unittest.skipUnless(shutil.which("php"), "php is not installed: the PHP snippet is not run")
    def test_php_snippet_receives_a_real_delivery(self):
        port = free_port()
        self.run_receiver_snippet(["php", "-S", f"127.0.0.1:{port}", "verify_php.php"], port=port,
                                  log_from_stderr=True)

    @unittest.skipUnless(shutil.which("ruby"), "ruby is not installed: the Ruby snippet is not run")
    def test_ruby_snippet_verifies_a_real_delivery(self):
        with Server() as server, Receiver() as receiver:
            tid, key = server.tenant_with_key()
            secret = server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url},
                               token=key)["secret"]
            server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {"n": "ü"}},
                      token=key)
            wait_until(lambda: receiver.count() == 1)
            req = receiver.snapshot()[0]

            def ruby(header, body):
                return subprocess.run(["ruby", "verify_ruby.rb", header], input=body, cwd=SNIPPETS,
                                      env=dict(os.environ, AXON_WEBHOOK_SECRET=secret),
                                      capture_output=True, timeout=30)
            good = ruby(req["headers"]["x-axon-signature"], req["body"])
            self.assertEqual(good.returncode, 0, good.stderr)
            self.assertEqual(good.stdout, b"valid\n")
            self.assertEqual(ruby(req["headers"]["x-axon-signature"], req["body"] + b" ").returncode, 1)
            stale = sign(secret, "evt_1", int(time.time()) - 600, req["body"])["X-Axon-Signature"]
            self.assertEqual(ruby(stale, req["body"]).returncode, 1)


if __name__ == "__main__":
    unittest.main()
