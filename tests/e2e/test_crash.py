"""At-least-once under kill -9: events stream in while the server is killed at random moments
and restarted on the same database; every event answered 202 must reach the receiver."""
import json
import random
import threading
import time
import unittest

from harness import Receiver, Server, wait_until

EVENTS = 5000
KILLS = 3


class CrashTest(unittest.TestCase):
    def test_kill_dash_nine_loses_no_accepted_event(self):
        rng = random.Random()
        with Receiver() as receiver:
            server = Server("--retry-schedule", "100ms,200ms,400ms,800ms,1s,1s,1s,1s",
                            "--request-timeout", "2s")
            server.start()
            tid, key = server.tenant_with_key()
            server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url})

            accepted = []
            current = {"server": server}
            done = threading.Event()

            def produce():
                i = 0
                while i < EVENTS:
                    srv = current["server"]
                    try:
                        status, body, _ = srv.request("POST", f"/v1/tenants/{tid}/events",
                                                      {"type": "crash.test", "data": {"seq": i}}, token=key)
                    except OSError:
                        time.sleep(0.05)  # server is down; try the same event again
                        continue
                    if status == 202:
                        accepted.append(body["id"])
                        i += 1
                done.set()

            producer = threading.Thread(target=produce, daemon=True)
            producer.start()
            for _ in range(KILLS):
                # A random moment while events stream in and deliveries are in flight.
                target = len(accepted) + rng.randint(200, 1200)
                wait_until(lambda: len(accepted) >= min(target, EVENTS - 1) or done.is_set(), timeout=120)
                old = current["server"]
                old.kill9()
                restarted = Server("--retry-schedule", "100ms,200ms,400ms,800ms,1s,1s,1s,1s",
                                   "--request-timeout", "2s", workdir=old.workdir,
                                   admin_token=old.admin_token)
                restarted.start()
                current["server"] = restarted
            producer.join(timeout=300)
            self.assertTrue(done.is_set(), "producer finished")

            def received_ids():
                return [json.loads(r["body"])["id"] for r in receiver.snapshot()]

            wait_until(lambda: set(accepted) <= set(received_ids()), timeout=180, interval=0.5,
                       message="every accepted event to arrive")
            ids = received_ids()
            duplicates = len(ids) - len(set(ids))
            print(f"\ncrash test: {len(accepted)} accepted, {len(ids)} received, "
                  f"{duplicates} duplicates after {KILLS} kill -9", flush=True)
            self.assertEqual(len(set(accepted)), EVENTS)
            current["server"].__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
