"""Behind a transaction-mode connection pooler (a real PgBouncer with pool_mode=transaction and
a small server pool, so clients share server sessions between transactions): several nodes
start at once (their migrations race through the pooler), take events over HTTP and through
the outbox, and deliver every one. With --notify-db, a pooled node is woken by NOTIFY over a
direct connection; without it, it polls."""
import json
import statistics
import threading
import time
import unittest

from harness import Receiver, Server, wait_until
from pgserver import PgBouncer, PgServer

MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes, tests only


class PoolerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = PgServer().start()
        cls.bouncer = PgBouncer(cls.pg, pool_size=3).start()

    @classmethod
    def tearDownClass(cls):
        cls.bouncer.close()
        cls.pg.close()

    def start_nodes(self, db, n, token, *extra):
        nodes = [Server("--retry-schedule", "100ms,200ms,400ms", *extra, db=db, admin_token=token,
                        env={"AXON_MASTER_KEY": MASTER_KEY}) for _ in range(n)]
        errors = []

        def start(node):
            try:
                node.start(timeout=60)
            except Exception as e:  # reported below, with the node's log
                errors.append(e)

        threads = [threading.Thread(target=start, args=(node,)) for node in nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            for node in nodes:
                node.__exit__(None, None, None)
            raise errors[0]
        return nodes

    def emit_through_pooler(self, db, sql):
        """Runs business SQL through the pooler, as an application behind it would."""
        import subprocess
        return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", self.bouncer.url(db),
                               "-c", sql], check=True, capture_output=True, text=True).stdout

    def test_three_nodes_migrate_ingest_and_deliver_through_the_pooler(self):
        self.pg.create_db("pooled")
        token = "axadm_pooler_test_token"
        receivers = [Receiver() for _ in range(3)]
        nodes = self.start_nodes(self.bouncer.url("pooled"), 3, token)
        try:
            tid, key = nodes[0].tenant_with_key()
            for r in receivers:
                nodes[1].ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": r.url})
            accepted = []
            for i in range(300):
                ev = nodes[i % 3].ok("POST", f"/v1/tenants/{tid}/events",
                                     {"type": "pool.http", "data": {"i": i}}, token=key)
                accepted.append(ev["id"])
            # The outbox through the pooler: one transaction with many events, and several
            # transactions with one each.
            out = self.emit_through_pooler(
                "pooled", f"SELECT axon.emit_event('{tid}', 'pool.outbox', jsonb_build_object('g', g)) "
                          f"FROM generate_series(1, 100) AS g")
            accepted += out.split()
            for i in range(5):
                accepted += self.emit_through_pooler(
                    "pooled", f"BEGIN; SELECT axon.emit_event('{tid}', 'pool.outbox', '{{}}', 'k{i}'); COMMIT;").split()
            self.assertEqual(len(accepted), 405)

            def all_arrived():
                return all(set(accepted) <= {json.loads(q["body"])["id"] for q in r.snapshot()}
                           for r in receivers)

            wait_until(all_arrived, timeout=120, interval=0.3, message="every delivery through the pooler")
            # Reads work through the pooler too, from any node.
            listed = nodes[2].ok("GET", f"/v1/tenants/{tid}/deliveries?status=succeeded&limit=1000", token=key)
            self.assertGreaterEqual(len(listed["data"]), 1000)
            for node in nodes:
                log = node.read_log()
                self.assertNotIn("prepared statement", log)
                self.assertNotIn("migration failed", log)
        finally:
            for n in nodes:
                n.__exit__(None, None, None)
            for r in receivers:
                r.close()

    def outbox_latencies(self, node, db, tid, receiver, count):
        latencies = []
        for i in range(count):
            before = receiver.count()
            started = time.monotonic()
            self.emit_through_pooler(db, f"SELECT axon.emit_event('{tid}', 'pool.wake', '{{\"i\": {i}}}')")
            wait_until(lambda: receiver.count() > before, timeout=10, interval=0.005,
                       message="the outbox event to arrive")
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)
        return latencies

    def test_notify_db_wakes_a_pooled_node_and_without_it_the_node_polls(self):
        token = "axadm_pooler_notify_token"
        for name, extra in (("notifydirect", ("--notify-db", self.pg.url("notifydirect"))),
                            ("notifypolled", ())):
            self.pg.create_db(name)
            with Receiver() as receiver:
                node = self.start_nodes(self.bouncer.url(name), 1, token, *extra)[0]
                try:
                    tid, _ = node.tenant_with_key()
                    node.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url})
                    latencies = self.outbox_latencies(node, name, tid, receiver, 8)
                    median = statistics.median(latencies)
                    print(f"\n{name}: outbox commit to arrival, median {median * 1000:.0f} ms, "
                          f"max {max(latencies) * 1000:.0f} ms", flush=True)
                    if extra:
                        # Woken by NOTIFY: far below the one-second poll.
                        self.assertLess(median, 0.4, latencies)
                    else:
                        # Polling: a new event waits at most about a second. No LISTEN went
                        # through the pooler (it would stay on a pooled server session).
                        self.assertLess(max(latencies), 3.0, latencies)
                        self.assertIn("goes through a connection pooler", node.read_log())
                finally:
                    node.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
