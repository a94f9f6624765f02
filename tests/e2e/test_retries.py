"""Retries, dead letters and replay with the real binary and a short schedule."""
import json
import time
import unittest

from harness import Receiver, Server, wait_until

SCHEDULE = "50ms,100ms,200ms"  # 4 attempts per series


def get_delivery(server, tid, did):
    return server.ok("GET", f"/v1/tenants/{tid}/deliveries/{did}")


def wait_status(server, tid, did, status, timeout=15):
    return wait_until(lambda: (lambda d: d if d["status"] == status else None)(
        get_delivery(server, tid, did)), timeout=timeout, message=f"delivery {did} to be {status}")


def setup(server, receiver, **endpoint):
    tid, key = server.tenant_with_key()
    ep = server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url, **endpoint})
    ev = server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "order.created", "data": {"id": 1}})
    wait_until(lambda: receiver.count() >= 1, message="first attempt")
    did = receiver.snapshot()[0]["headers"]["x-axon-delivery-id"]
    return tid, ep, ev, did


class RetryTest(unittest.TestCase):
    def test_fails_twice_then_succeeds_with_growing_gaps(self):
        behaviour = lambda i, r: (500 if i < 2 else 200, {}, b"nope" if i < 2 else b"ok", 0)
        with Server("--retry-schedule", SCHEDULE) as server, Receiver(behaviour) as receiver:
            tid, _, _, did = setup(server, receiver)
            d = wait_status(server, tid, did, "succeeded")
            self.assertEqual([a["n"] for a in d["attempts"]], [1, 2, 3])
            self.assertEqual([a["status_code"] for a in d["attempts"]], [500, 500, 200])
            self.assertEqual(d["attempts"][0]["error"], "http")
            self.assertEqual(d["attempts"][0]["response_excerpt"], "nope")
            reqs = receiver.snapshot()
            self.assertEqual([r["headers"]["x-axon-attempt"] for r in reqs], ["1", "2", "3"])
            self.assertEqual(len({r["headers"]["x-axon-delivery-id"] for r in reqs}), 1)
            gap1 = reqs[1]["at"] - reqs[0]["at"]
            gap2 = reqs[2]["at"] - reqs[1]["at"]
            self.assertGreaterEqual(gap1, 0.050 * 0.8 - 0.005)
            self.assertGreaterEqual(gap2, 0.100 * 0.8 - 0.005)
            self.assertGreater(gap2, gap1 * 0.9)

    def test_always_failing_becomes_dead_letter_then_replay_succeeds(self):
        healthy = {"on": False}
        behaviour = lambda i, r: (200 if healthy["on"] else 503, {}, b"", 0)
        with Server("--retry-schedule", SCHEDULE) as server, Receiver(behaviour) as receiver:
            tid, ep, _, did = setup(server, receiver)
            d = wait_status(server, tid, did, "dead")
            self.assertEqual(len(d["attempts"]), 4)
            dead = server.ok("GET", f"/v1/tenants/{tid}/dead-letters")["data"]
            self.assertEqual([x["id"] for x in dead], [did])
            self.assertEqual(dead[0]["last_attempt"]["status_code"], 503)

            healthy["on"] = True
            server.ok("POST", f"/v1/tenants/{tid}/deliveries/{did}/replay")
            d = wait_status(server, tid, did, "succeeded")
            self.assertEqual([a["n"] for a in d["attempts"]], [1, 2, 3, 4, 5])
            self.assertEqual(receiver.snapshot()[-1]["headers"]["x-axon-attempt"], "5")
            self.assertEqual(server.ok("GET", f"/v1/tenants/{tid}/dead-letters")["data"], [])
            status, body, _ = server.request("POST", f"/v1/tenants/{tid}/deliveries/{did}/replay")
            self.assertEqual(status, 409)
            self.assertEqual(body["error"]["code"], "conflict")

    def test_recover_replays_dead_letters_since_a_time(self):
        healthy = {"on": False}
        behaviour = lambda i, r: (200 if healthy["on"] else 500, {}, b"", 0)
        with Server("--retry-schedule", "10ms") as server, Receiver(behaviour) as receiver:
            tid, key = server.tenant_with_key()
            ep = server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url})
            for i in range(20):
                server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "x.y", "data": {"i": i}})
            wait_until(lambda: len(server.ok("GET", f"/v1/tenants/{tid}/dead-letters?limit=100")["data"]) == 20,
                       message="20 dead letters")
            healthy["on"] = True
            out = server.ok("POST", f"/v1/tenants/{tid}/endpoints/{ep['id']}/recover",
                            {"since": "2000-01-01T00:00:00Z"})
            self.assertEqual(out["replayed"], 20)
            wait_until(lambda: len(server.ok("GET", f"/v1/tenants/{tid}/deliveries?status=succeeded&limit=100")["data"]) == 20,
                       message="all recovered")

    def test_timeout_is_classified_and_retried(self):
        behaviour = lambda i, r: (200, {}, b"", 2.0 if i == 0 else 0)
        with Server("--retry-schedule", SCHEDULE, "--request-timeout", "300ms") as server, \
                Receiver(behaviour) as receiver:
            tid, _, _, did = setup(server, receiver)
            d = wait_status(server, tid, did, "succeeded")
            self.assertEqual(d["attempts"][0]["error"], "timeout")
            self.assertIsNone(d["attempts"][0]["status_code"])
            self.assertLess(d["attempts"][0]["duration_ms"], 1500)

    def test_429_retry_after_is_honoured(self):
        behaviour = lambda i, r: (429, {"Retry-After": "1"}, b"", 0) if i == 0 else (200, {}, b"", 0)
        with Server("--retry-schedule", "50ms,2s") as server, Receiver(behaviour) as receiver:
            tid, _, _, did = setup(server, receiver)
            wait_status(server, tid, did, "succeeded")
            reqs = receiver.snapshot()
            self.assertGreaterEqual(reqs[1]["at"] - reqs[0]["at"], 0.95)

    def test_410_disables_the_endpoint_and_kills_the_delivery(self):
        behaviour = lambda i, r: (410, {}, b"gone", 0)
        with Server("--retry-schedule", SCHEDULE) as server, Receiver(behaviour) as receiver:
            tid, ep, _, did = setup(server, receiver)
            d = wait_status(server, tid, did, "dead")
            self.assertEqual(len(d["attempts"]), 1)
            endpoint = server.ok("GET", f"/v1/tenants/{tid}/endpoints/{ep['id']}")
            self.assertTrue(endpoint["disabled"])
            self.assertIn("410", endpoint["disabled_reason"])
            # PATCH re-enables it.
            endpoint = server.ok("PATCH", f"/v1/tenants/{tid}/endpoints/{ep['id']}", {"disabled": False})
            self.assertFalse(endpoint["disabled"])

    def test_redirect_is_not_followed_and_counts_as_failure(self):
        with Receiver() as target:
            behaviour = lambda i, r: ((302, {"Location": target.url}, b"", 0) if i == 0 else (200, {}, b"", 0))
            with Server("--retry-schedule", SCHEDULE) as server, Receiver(behaviour) as receiver:
                tid, _, _, did = setup(server, receiver)
                d = wait_status(server, tid, did, "succeeded")
                self.assertEqual(d["attempts"][0]["status_code"], 302)
                self.assertEqual(d["attempts"][0]["error"], "http")
                self.assertEqual(target.count(), 0)

    def test_connection_reset_is_retried(self):
        behaviour = lambda i, r: (None, {}, b"", 0) if i == 0 else (200, {}, b"", 0)
        with Server("--retry-schedule", SCHEDULE) as server, Receiver(behaviour) as receiver:
            tid, _, _, did = setup(server, receiver)
            d = wait_status(server, tid, did, "succeeded")
            self.assertIsNone(d["attempts"][0]["status_code"])
            self.assertIn(d["attempts"][0]["error"], ("connect", "network"))
            self.assertEqual(len(d["attempts"]), 2)

    def test_disabled_endpoint_pending_deliveries_wait(self):
        with Server("--retry-schedule", SCHEDULE) as server, Receiver() as receiver:
            tid, key = server.tenant_with_key()
            ep = server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url})
            server.ok("PATCH", f"/v1/tenants/{tid}/endpoints/{ep['id']}", {"disabled": True})
            # Created while enabled? No: disabled endpoints get no new deliveries at all.
            ev = server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {}})
            self.assertEqual(ev["deliveries"], 0)
            server.ok("PATCH", f"/v1/tenants/{tid}/endpoints/{ep['id']}", {"disabled": False})
            server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {}})
            wait_until(lambda: receiver.count() == 1)


if __name__ == "__main__":
    unittest.main()
