"""serve --retention on both stores: a finished event older than the window is gone within
10 s (the window is under a minute), a pending one stays, /metrics shows the window and what
was purged, and a bad value is refused at start."""
import subprocess
import unittest
import urllib.request

from harness import AXON_BIN, Receiver, Server, wait_until
from pgserver import PgServer


def metric(server, sample):
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(sample + " "):
                return float(line.rsplit(" ", 1)[1])
    return None


class RetentionTest(unittest.TestCase):
    def run_purge(self, db=None):
        # One endpoint answers 204; the other 500s with a long retry: its delivery stays pending.
        behaviour = lambda i, r: ((204 if "good" in r["path"] else 500), {}, b"", 0)
        with Server("--retention", "2s", "--retry-schedule", "1h", db=db) as server, \
                Receiver(behaviour) as receiver:
            tid, key = server.tenant_with_key()
            server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url + "/good"},
                      token=key)
            server.ok("POST", f"/v1/tenants/{tid}/endpoints",
                      {"url": receiver.url + "/bad", "event_types": ["order.stuck"]}, token=key)
            done = server.ok("POST", f"/v1/tenants/{tid}/events",
                             {"type": "order.created", "data": {}}, token=key)["id"]
            stuck = server.ok("POST", f"/v1/tenants/{tid}/events",
                              {"type": "order.stuck", "data": {}}, token=key)["id"]
            self.assertEqual(metric(server, "axon_retention_seconds"), 2)
            wait_until(lambda: server.request("GET", f"/v1/tenants/{tid}/events/{done}",
                                              token=key)[0] == 404,
                       timeout=15, interval=0.2, message="the finished event purged")
            self.assertGreaterEqual(metric(server, 'axon_purged_total{kind="events"}'), 1)
            self.assertGreaterEqual(metric(server, 'axon_purged_total{kind="deliveries"}'), 1)
            # The event whose delivery waits for a retry is kept, with its deliveries.
            self.assertEqual(
                server.request("GET", f"/v1/tenants/{tid}/events/{stuck}", token=key)[0], 200)
            self.assertGreater(metric(server, "axon_store_size_bytes"), 0)

    def test_purges_finished_events_sqlite(self):
        self.run_purge()

    def test_purges_finished_events_postgres(self):
        pg = PgServer().start()
        try:
            self.run_purge(db=pg.create_db("retention"))
        finally:
            pg.close()

    def test_bad_retention_is_refused(self):
        result = subprocess.run([AXON_BIN, "serve", "--retention", "forever"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--retention", result.stderr)
        self.assertIn("0 to keep everything", result.stderr)


if __name__ == "__main__":
    unittest.main()
