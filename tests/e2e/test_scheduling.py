"""Scheduling: a large backlog of future retries costs nothing while it waits, and a due
delivery starts promptly. Prints the measured figures (CPU while idle, lateness); the
assertions only catch gross regressions (a busy loop, a missed wake-up), never speed."""
import json
import os
import socket
import statistics
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from harness import Receiver, Server, wait_until

BACKLOG_EVENTS = int(os.environ.get("AXON_BACKLOG_EVENTS", "10000"))  # x 10 endpoints


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens after close: connects are refused at once


class SchedulingTest(unittest.TestCase):
    def test_backlog_of_future_retries_leaves_the_process_idle(self):
        with Server("--retry-schedule", "1h") as server:
            tid, key = server.tenant_with_key()
            port = closed_port()
            for i in range(10):
                server.ok("POST", f"/v1/tenants/{tid}/endpoints",
                          {"url": f"http://127.0.0.1:{port}/ep{i}"}, token=key)
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda i: server.ok("POST", f"/v1/tenants/{tid}/events",
                                                  {"type": "backlog.test", "data": {"i": i}}, token=key),
                              range(BACKLOG_EVENTS)))
            expected = BACKLOG_EVENTS * 10

            def scheduled():
                text = server.request("GET", "/metrics", token="")[1]
                for line in text.splitlines():
                    if line.startswith('axon_queue_depth{state="scheduled"}'):
                        return int(float(line.split()[-1]))
                return 0

            wait_until(lambda: scheduled() == expected, timeout=300, interval=1,
                       message=f"{expected} deliveries to wait for their retry")
            time.sleep(1)
            before, t0 = cpu_seconds(server.proc.pid), time.monotonic()
            time.sleep(5)
            used, elapsed = cpu_seconds(server.proc.pid) - before, time.monotonic() - t0
            share = 100 * used / elapsed
            print(f"\nscheduling: {expected} pending retries, idle CPU {share:.2f} % "
                  f"({used:.2f} s over {elapsed:.1f} s)", flush=True)
            self.assertLess(share, 25, "a waiting backlog must not keep the dispatcher busy")

    def test_due_retries_start_promptly(self):
        first_attempts = {}
        lock = threading.Lock()

        def behaviour(i, request):
            did = request["headers"]["x-axon-delivery-id"]
            with lock:
                if did not in first_attempts:
                    first_attempts[did] = request["at"]
                    return 500, {}, b"", 0
            return 200, {}, b"", 0

        with Server("--retry-schedule", "2s") as server, Receiver(behaviour) as receiver:
            tid, key = server.tenant_with_key()
            server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url}, token=key)
            count = 30
            for i in range(count):
                server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "late.test", "data": {"i": i}}, token=key)
                time.sleep(0.02)
            wait_until(lambda: len(first_attempts) == count, message="first attempts")
            # The scheduled time of each retry, as the store holds it.
            due = {}
            def all_scheduled():
                page = server.ok("GET", f"/v1/tenants/{tid}/deliveries?status=pending&limit=100", token=key)
                for d in page["data"]:
                    if d["attempt_count"] == 1 and d["next_attempt_at"]:
                        due[d["id"]] = d["next_attempt_at"]
                return len(due) == count
            wait_until(all_scheduled, message="retries scheduled")
            wait_until(lambda: receiver.count() == 2 * count, timeout=20, message="retries")
            from datetime import datetime
            lateness = []
            for r in receiver.snapshot():
                did = r["headers"]["x-axon-delivery-id"]
                if r["headers"]["x-axon-attempt"] == "2":
                    due_at = datetime.fromisoformat(due[did].replace("Z", "+00:00")).timestamp()
                    lateness.append((r["at"] - due_at) * 1000)
            lateness.sort()
            p50 = statistics.median(lateness)
            print(f"\nscheduling: lateness of {len(lateness)} due retries (arrival - next_attempt_at): "
                  f"p50 {p50:.1f} ms, max {lateness[-1]:.1f} ms", flush=True)
            self.assertGreater(lateness[0], -5, "never sent early")
            self.assertLess(lateness[-1], 1000, "a due delivery is not left waiting for the poll")


if __name__ == "__main__":
    unittest.main()
