"""Foundation end to end: tenant -> API key -> endpoints with subscriptions -> events ->
each receiver gets exactly its events, signed both ways, and the attempt is recorded."""
import json
import time
import unittest

from harness import (Receiver, Server, verify_axon_signature, verify_standard_signature,
                     wait_until)


class FoundationTest(unittest.TestCase):
    def test_fan_out_signatures_and_attempt_log(self):
        with Server() as server, Receiver() as orders, Receiver() as everything:
            tid, key = server.tenant_with_key()
            ep_orders = server.ok("POST", f"/v1/tenants/{tid}/endpoints",
                                  {"url": orders.url, "event_types": ["order.*"]}, token=key)
            ep_all = server.ok("POST", f"/v1/tenants/{tid}/endpoints",
                               {"url": everything.url}, token=key)
            self.assertTrue(ep_orders["secret"].startswith("whsec_"))

            sent = []
            for event_type in ["order.created", "product.created", "order.updated", "invoice.paid"]:
                ev = server.ok("POST", f"/v1/tenants/{tid}/events",
                               {"type": event_type, "data": {"n": len(sent), "name": "café ☕"}},
                               token=key)
                self.assertEqual(ev["type"], event_type)
                self.assertTrue(ev["id"].startswith("evt_"))
                self.assertEqual(ev["deliveries"], 2 if event_type.startswith("order.") else 1)
                sent.append(ev)

            wait_until(lambda: orders.count() == 2 and everything.count() == 4,
                       message="all deliveries to arrive")
            time.sleep(0.3)  # nothing more may arrive
            self.assertEqual(orders.count(), 2)
            self.assertEqual(everything.count(), 4)

            self.assertEqual(sorted(json.loads(r["body"])["type"] for r in orders.snapshot()),
                             ["order.created", "order.updated"])
            for receiver, endpoint in ((orders, ep_orders), (everything, ep_all)):
                for req in receiver.snapshot():
                    h = req["headers"]
                    body = json.loads(req["body"])
                    self.assertEqual(list(body.keys()), ["id", "type", "tenant_id", "created_at", "data"])
                    self.assertEqual(body["tenant_id"], tid)
                    self.assertEqual(h["content-type"], "application/json")
                    self.assertTrue(h["user-agent"].startswith("Axon-Webhooks/"))
                    self.assertEqual(h["x-axon-event"], body["type"])
                    self.assertEqual(h["x-axon-event-id"], body["id"])
                    self.assertEqual(h["x-axon-attempt"], "1")
                    self.assertTrue(h["x-axon-delivery-id"].startswith("dlv_"))
                    ok, t = verify_axon_signature(endpoint["secret"], h["x-axon-signature"], req["body"])
                    self.assertTrue(ok, "X-Axon-Signature must verify")
                    self.assertLess(abs(t - time.time()), 60)
                    self.assertEqual(h["webhook-id"], body["id"])
                    self.assertEqual(h["webhook-timestamp"], str(t))
                    self.assertTrue(verify_standard_signature(endpoint["secret"], h["webhook-id"],
                                                              h["webhook-timestamp"],
                                                              h["webhook-signature"], req["body"]))
                    # Minified; the string inside data stays as the producer wrote it (the
                    # harness sends it \u-escaped).
                    self.assertIn(b'"name":"caf\\u00e9 \\u2615"', req["body"])
                    self.assertNotIn(b" ", req["body"].replace(b"caf\\u00e9 \\u2615", b""),
                                     "the body is minified JSON")

            # The delivery shows its attempt with status code and duration.
            delivery_id = orders.snapshot()[0]["headers"]["x-axon-delivery-id"]
            delivery = wait_until(lambda: (lambda d: d if d["status"] == "succeeded" else None)(
                server.ok("GET", f"/v1/tenants/{tid}/deliveries/{delivery_id}", token=key)),
                message="delivery to be marked succeeded")
            self.assertEqual(len(delivery["attempts"]), 1)
            attempt = delivery["attempts"][0]
            self.assertEqual(attempt["n"], 1)
            self.assertEqual(attempt["status_code"], 204)
            self.assertGreaterEqual(attempt["duration_ms"], 0)
            self.assertIsNone(attempt["error"])

            # The event lists its deliveries.
            event = server.ok("GET", f"/v1/tenants/{tid}/events/{sent[0]['id']}", token=key)
            self.assertEqual(len(event["deliveries"]), 2)

    def test_event_without_subscribers_is_stored_with_zero_deliveries(self):
        with Server() as server:
            tid, key = server.tenant_with_key()
            ev = server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "lonely.event", "data": {}},
                           token=key)
            self.assertEqual(ev["deliveries"], 0)
            got = server.ok("GET", f"/v1/tenants/{tid}/events/{ev['id']}", token=key)
            self.assertEqual(got["id"], ev["id"])
            self.assertEqual(got["deliveries"], [])

    def test_disabled_endpoint_receives_nothing(self):
        with Server() as server, Receiver() as receiver:
            tid, key = server.tenant_with_key()
            server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url, "disabled": True},
                      token=key)
            ev = server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {}}, token=key)
            self.assertEqual(ev["deliveries"], 0)
            time.sleep(0.3)
            self.assertEqual(receiver.count(), 0)

    def test_idempotency_key_returns_the_first_event(self):
        with Server() as server, Receiver() as receiver:
            tid, key = server.tenant_with_key()
            server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url}, token=key)
            first = server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {"x": 1}},
                              token=key, headers={"Idempotency-Key": "order-42"})
            again = server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {"x": 1}},
                              token=key, headers={"Idempotency-Key": "order-42"})
            self.assertEqual(first["id"], again["id"])
            wait_until(lambda: receiver.count() == 1)
            time.sleep(0.3)
            self.assertEqual(receiver.count(), 1)

    def test_sigterm_exits_zero(self):
        server = Server()
        try:
            server.start()
            self.assertEqual(server.request("GET", "/healthz", token="")[0], 200)
            self.assertEqual(server.terminate(), 0)
        finally:
            server.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
