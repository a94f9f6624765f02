"""Ordered delivery (`"ordering": "fifo"`): one in flight per endpoint, creation order, kept
under retries, dead letters, kill -9 restarts and three `serve` processes on PostgreSQL.

Choice (documented in docs/catalogue-and-operational.md): a delivery that becomes a dead letter
no longer blocks its endpoint; the next one proceeds. The receiver checks the sequence itself.
"""
import json
import tempfile
import threading
import time
import unittest

from harness import Receiver, Server, wait_until


class OrderCheckingReceiver(Receiver):
    """A receiver that records `data.seq` of every request and the highest concurrency seen.

    `fail(seq, attempt)` says whether to answer 500 to that request.
    """

    def __init__(self, fail=lambda seq, attempt: False, hold=0.0):
        self.active = 0
        self.max_active = 0
        self.seqs = []
        self.attempts_per_seq = {}
        self.guard = threading.Lock()

        def behaviour(_, record):
            seq = json.loads(record["body"])["data"]["seq"]
            with self.guard:
                self.active += 1
                self.max_active = max(self.max_active, self.active)
                self.seqs.append(seq)
                n = self.attempts_per_seq.get(seq, 0) + 1
                self.attempts_per_seq[seq] = n
            if hold:
                time.sleep(hold)
            failed = fail(seq, n)
            with self.guard:
                self.active -= 1
            return (500, {}, b"fail", 0) if failed else (204, {}, b"", 0)

        super().__init__(behaviour)

    def sequence(self):
        with self.guard:
            return list(self.seqs)


def assert_in_order(test, seqs, expected):
    """Non-decreasing (a redelivery repeats the current one, never an earlier one) and complete."""
    for a, b in zip(seqs, seqs[1:]):
        test.assertLessEqual(a, b, f"out of order: {a} then {b} in {seqs[:200]}")
    test.assertEqual(sorted(set(seqs)), list(expected))


def post_events(server, tid, key, seqs, on_accept=None):
    ids = []
    for seq in seqs:
        ev = server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "fifo.test", "data": {"seq": seq}},
                       token=key)
        ids.append(ev["id"])
        if on_accept:
            on_accept(len(ids))
    return ids


class FifoSqliteTest(unittest.TestCase):
    def test_later_events_wait_for_retries_and_a_dead_letter_does_not_block(self):
        # seq 3 fails twice then succeeds; seq 6 always fails (dead after 4 attempts).
        def fail(seq, attempt):
            return (seq == 3 and attempt <= 2) or seq == 6

        with Server("--retry-schedule", "100ms,150ms,200ms") as server, \
                OrderCheckingReceiver(fail, hold=0.01) as receiver:
            tid, key = server.tenant_with_key()
            ep = server.ok("POST", f"/v1/tenants/{tid}/endpoints",
                           {"url": receiver.url, "ordering": "fifo"})
            self.assertEqual(ep["ordering"], "fifo")
            post_events(server, tid, key, range(10))
            wait_until(lambda: 9 in receiver.sequence(), timeout=30, message="the last event")
            seqs = receiver.sequence()
            self.assertEqual(seqs, [0, 1, 2, 3, 3, 3, 4, 5, 6, 6, 6, 6, 7, 8, 9])
            self.assertEqual(receiver.max_active, 1)
            dead = server.ok("GET", f"/v1/tenants/{tid}/dead-letters")["data"]
            self.assertEqual(len(dead), 1)
            self.assertEqual(receiver.attempts_per_seq[6], 4)

    def test_parallel_endpoint_is_not_serialised(self):
        with Server() as server, OrderCheckingReceiver(hold=0.3) as receiver:
            tid, key = server.tenant_with_key()
            server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url})
            post_events(server, tid, key, range(8))
            wait_until(lambda: len(set(receiver.sequence())) == 8, timeout=30, message="8 deliveries")
            self.assertGreater(receiver.max_active, 1)

    def test_order_survives_kill_dash_nine(self):
        events = 300
        with OrderCheckingReceiver(hold=0.002) as receiver:
            server = Server("--retry-schedule", "100ms,200ms,400ms,1s", "--request-timeout", "2s")
            server.start()
            try:
                tid, key = server.tenant_with_key()
                server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url, "ordering": "fifo"})
                post_events(server, tid, key, range(events))
                # Kill while the endpoint is mid-way through its queue.
                wait_until(lambda: len(receiver.sequence()) >= 60, timeout=60, message="60 deliveries")
                server.kill9()
                server.proc.stdout.close()
                restarted = Server("--retry-schedule", "100ms,200ms,400ms,1s", "--request-timeout", "2s",
                                   workdir=server.workdir, admin_token=server.admin_token)
                restarted.start()
                server = restarted
                wait_until(lambda: events - 1 in receiver.sequence(), timeout=120, interval=0.2,
                           message="the last event after the restart")
                assert_in_order(self, receiver.sequence(), range(events))
                self.assertEqual(receiver.max_active, 1)
            finally:
                server.__exit__(None, None, None)


class FifoPostgresTest(unittest.TestCase):
    master_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes, tests only

    def test_three_processes_keep_the_order(self):
        from pgserver import PgServer

        events = 300
        pg = PgServer().start()
        nodes = []
        try:
            db = pg.create_db("fifo")
            token = "axadm_fifo_test_token"
            with OrderCheckingReceiver(hold=0.002) as receiver, OrderCheckingReceiver() as other:
                for i in range(3):
                    nodes.append(Server("--retry-schedule", "100ms,200ms,400ms,1s", "--request-timeout", "2s",
                                        db=db, workdir=tempfile.mkdtemp(prefix=f"axon-fifo{i}-"),
                                        admin_token=token, env={"AXON_MASTER_KEY": self.master_key}).start())
                tid, key = nodes[0].tenant_with_key()
                nodes[0].ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url, "ordering": "fifo"})
                nodes[0].ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": other.url, "ordering": "fifo"})
                # Events go in through all three nodes (creation order = the order they are accepted).
                for seq in range(events):
                    nodes[seq % 3].ok("POST", f"/v1/tenants/{tid}/events",
                                      {"type": "fifo.test", "data": {"seq": seq}}, token=key)
                for r in (receiver, other):
                    wait_until(lambda: events - 1 in r.sequence(), timeout=180, interval=0.2,
                               message="the last event on PostgreSQL")
                    assert_in_order(self, r.sequence(), range(events))
                    self.assertEqual(r.max_active, 1, "never two in flight to one FIFO endpoint")
        finally:
            for n in nodes:
                n.__exit__(None, None, None)
            pg.close()


if __name__ == "__main__":
    unittest.main()
