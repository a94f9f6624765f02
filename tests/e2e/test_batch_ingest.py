"""Batch ingest and data as sent, through the real binary on SQLite and PostgreSQL: the
receiver gets every number exactly as the producer wrote it (signed over those bytes); a
batch answers per event; `events import` sends an NDJSON file in batches and sums up."""
import json
import os
import pty
import subprocess
import tempfile
import unittest

from harness import AXON_BIN, Receiver, Server, verify_axon_signature, wait_until
from pgserver import PgServer

DATA = ('{"big":123456789012345678901234567890,"tiny":1e-400,"huge":1e400,'
        '"f":0.10,"s":"caf\\u00e9 \\"q\\"","nested":{"a":[1,2.50,-0]}}')


class BatchIngestCases:
    """Mixed into one TestCase per store; `db()` gives the --db URL."""

    def run_server(self):
        return Server("--retry-schedule", "50ms", db=self.db())

    def raw_post(self, server, path, body, token):
        return server.request("POST", path, token=token, raw=body.encode(),
                              headers={"Content-Type": "application/json"})

    def test_receiver_gets_the_data_exactly_as_sent(self):
        with self.run_server() as server, Receiver() as receiver:
            tid, key = server.tenant_with_key()
            ep = server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url}, token=key)
            # Whitespace everywhere: it goes, the rest stays byte for byte.
            spaced = DATA.replace(":", " : ").replace(",", " ,\n ")
            status, single, _ = self.raw_post(
                server, f"/v1/tenants/{tid}/events",
                '{"type": "order.created", "data": ' + spaced + '}', key)
            self.assertEqual(status, 202, single)
            status, batch, _ = self.raw_post(
                server, f"/v1/tenants/{tid}/events/batch",
                '{"events": [{"type": "order.paid", "data": ' + spaced + '},'
                ' {"type": "order.paid", "data": {"x": 1, "x": 2}}]}', key)
            self.assertEqual(status, 400, batch)  # a duplicate name anywhere: refused whole
            self.assertEqual(batch["error"]["code"], "invalid_json")
            status, batch, _ = self.raw_post(
                server, f"/v1/tenants/{tid}/events/batch",
                '{"events": [{"type": "order.paid", "data": ' + spaced + '}, {"type": "bad type"}]}',
                key)
            self.assertEqual(status, 200, batch)
            self.assertEqual(batch["data"][0]["deliveries"], 1)
            self.assertEqual(batch["data"][1]["error"]["code"], "validation_failed")
            wait_until(lambda: receiver.count() >= 2, timeout=20, message="two deliveries")
            for request in receiver.snapshot():
                body = request["body"].decode()
                self.assertTrue(body.endswith(',"data":' + DATA + '}'), body)
                ok, _ = verify_axon_signature(ep["secret"], request["headers"]["x-axon-signature"],
                                              request["body"])
                self.assertTrue(ok, "signed over the bytes as sent")
            shown = server.ok("GET", f"/v1/tenants/{tid}/events/{single['id']}", token=key)
            self.assertEqual(shown["data"]["big"], 123456789012345678901234567890)

    def test_events_import_sends_batches_and_sums_up(self):
        with self.run_server() as server, Receiver() as receiver:
            tid, key = server.tenant_with_key()
            server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url}, token=key)
            lines = [json.dumps({"type": "item.added", "data": {"i": i}, "idempotency_key": f"k{i}"})
                     for i in range(25)]
            lines[3] = '{"type": "item.added", "data": {"big": 123456789012345678901234567890}}'
            lines[7] = '{"type": "not valid!", "data": {}}'
            lines[9] = "this is not json"
            lines.append("")
            lines.append(lines[0])  # the same key again: replayed
            with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as f:
                f.write("\n".join(lines) + "\n")
                path = f.name
            try:
                env = dict(os.environ, AXON_URL=server.url, AXON_TOKEN=key)
                proc = subprocess.run([AXON_BIN, "events", "import", "--tenant", tid, "--batch-size", "10",
                                       path], capture_output=True, env=env, timeout=60)
                out = proc.stdout.decode()
                self.assertEqual(proc.returncode, 1, out + proc.stderr.decode())  # some refused
                self.assertIn("accepted 23, replayed 1, refused 2", out)
                self.assertIn("line 8: validation_failed", out)
                self.assertIn("line 10: not sent", out)
                self.assertEqual(proc.stderr.decode(), "")  # no progress line off a terminal
                with open(path, "rb") as stdin:  # from stdin: everything is a replay now
                    proc = subprocess.run([AXON_BIN, "events", "import", "--tenant", tid],
                                          stdin=stdin, capture_output=True, env=env, timeout=60)
                self.assertIn("accepted 1, replayed 23, refused 2", proc.stdout.decode())
                # On a terminal, a progress line on stderr.
                leader, follower = pty.openpty()
                try:
                    proc = subprocess.run([AXON_BIN, "events", "import", "--tenant", tid, path],
                                          stdout=subprocess.PIPE, stderr=follower, env=env, timeout=60)
                    os.close(follower)
                    follower = None
                    progress = b""
                    while True:
                        try:
                            chunk = os.read(leader, 4096)
                        except OSError:  # EIO: the terminal's other side is closed
                            break
                        if not chunk:
                            break
                        progress += chunk
                finally:
                    os.close(leader)
                    if follower is not None:
                        os.close(follower)
                self.assertIn(b"\rsent 26 events: 1 accepted, 23 replayed, 2 refused", progress)
            finally:
                os.unlink(path)
            wait_until(lambda: receiver.count() >= 24, timeout=30, message="24 deliveries")
            bodies = [r["body"].decode() for r in receiver.snapshot()]
            self.assertTrue(any('"data":{"big":123456789012345678901234567890}' in b for b in bodies))


    def test_an_answered_batch_survives_kill_dash_nine(self):
        with Receiver() as receiver:
            server = self.run_server().start()
            restarted = None
            try:
                tid, key = server.tenant_with_key()
                server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url}, token=key)
                body = {"events": [{"type": "crash.batch", "data": {"seq": i}} for i in range(500)]}
                status, answer, _ = server.request("POST", f"/v1/tenants/{tid}/events/batch", body,
                                                   token=key)
                self.assertEqual(status, 200, answer)
                ids = {entry["id"] for entry in answer["data"]}
                server.kill9()  # at once: the answer promised durability
                server.proc.stdout.close()
                restarted = Server("--retry-schedule", "50ms", db=server.db, workdir=server.workdir,
                                   admin_token=server.admin_token)
                restarted.start()
                wait_until(lambda: {json.loads(r["body"])["id"] for r in receiver.snapshot()} >= ids,
                           timeout=60, message="every event of the answered batch delivered")
            finally:
                if restarted:
                    restarted.__exit__(None, None, None)
                else:
                    server.__exit__(None, None, None)


class SqliteBatchIngestTest(BatchIngestCases, unittest.TestCase):
    def db(self):
        return None  # the harness's default: SQLite in the server's work dir


class PostgresBatchIngestTest(BatchIngestCases, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = PgServer().start()
        cls.dbs = 0

    @classmethod
    def tearDownClass(cls):
        cls.pg.close()

    def db(self):
        type(self).dbs += 1
        return self.pg.create_db(f"batch{self.dbs}")


if __name__ == "__main__":
    unittest.main()
