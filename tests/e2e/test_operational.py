"""Operational webhooks: events about the delivery system itself, sent to operational
endpoints of the tenant concerned and of the operator tenant, signed like any event.

Triggers: delivery.failing (after --operational-failing-after failed attempts in a row),
delivery.recovered, delivery.exhausted, endpoint.disabled (API, 410 Gone, auto-disable) and
endpoint.enabled (API). No loops: what happens to a delivery to an operational endpoint emits
nothing.
"""
import json
import os
import subprocess
import unittest

from harness import (AXON_BIN, Receiver, Server, verify_axon_signature,
                     verify_standard_signature, wait_until)

OPERATOR = "ten_00000000000000000000000000"
SCHEDULE = "50ms,50ms,50ms,50ms"  # 5 attempts per series
FAILING_AFTER = "2"


def received(receiver, secret):
    """The envelopes a receiver got, each checked against the endpoint's secret (both schemes)."""
    out = []
    for req in receiver.snapshot():
        h, body = req["headers"], req["body"]
        ok, _ = verify_axon_signature(secret, h["x-axon-signature"], body)
        assert ok, "bad X-Axon-Signature"
        assert verify_standard_signature(secret, h["webhook-id"], h["webhook-timestamp"],
                                         h["webhook-signature"], body), "bad webhook-signature"
        envelope = json.loads(body)
        assert h["x-axon-event"] == envelope["type"]
        assert h["x-axon-event-id"] == envelope["id"]
        out.append(envelope)
    return out


def types(envelopes):
    return sorted(e["type"] for e in envelopes)


class Setup:
    """A server with an operator-wide operational endpoint and a tenant with its own."""

    def __init__(self, server, operator_behaviour=None, tenant_behaviour=None):
        self.server = server
        self.operator_rx = Receiver(operator_behaviour)
        self.tenant_rx = Receiver(tenant_behaviour)
        self.operator_ep = server.ok("POST", f"/v1/tenants/{OPERATOR}/endpoints",
                                     {"url": self.operator_rx.url, "operational": True})
        self.tid, self.key = server.tenant_with_key()
        self.tenant_ep = server.ok("POST", f"/v1/tenants/{self.tid}/endpoints",
                                   {"url": self.tenant_rx.url, "operational": True},
                                   token=self.key)

    def operator_events(self):
        return received(self.operator_rx, self.operator_ep["secret"])

    def tenant_events(self):
        return received(self.tenant_rx, self.tenant_ep["secret"])

    def close(self):
        self.operator_rx.close()
        self.tenant_rx.close()

    def check_copies(self, test, count):
        """Both operational endpoints got `count` events: the same ones, each enveloped for the
        receiving tenant, with `data` about the tenant's own endpoint/delivery."""
        wait_until(lambda: len(self.operator_events()) >= count and
                   len(self.tenant_events()) >= count, timeout=20,
                   message=f"{count} operational events at both endpoints")
        ops, mine = self.operator_events(), self.tenant_events()
        test.assertEqual(types(ops), types(mine))
        for e in ops:
            test.assertEqual(e["tenant_id"], OPERATOR)
            test.assertEqual(e["data"]["tenant_id"], self.tid)
        for e in mine:
            test.assertEqual(e["tenant_id"], self.tid)
            test.assertEqual(e["data"]["tenant_id"], self.tid)
        return ops, mine


class OperationalWebhooksTest(unittest.TestCase):
    def test_operator_tenant_and_endpoint_validation(self):
        with Server() as server:
            operator = server.ok("GET", f"/v1/tenants/{OPERATOR}")
            self.assertEqual(operator["name"], "operator")
            status, body, _ = server.request("DELETE", f"/v1/tenants/{OPERATOR}")
            self.assertEqual(status, 409)
            self.assertEqual(body["error"]["code"], "operator_tenant_protected")
            server.ok("GET", f"/v1/tenants/{OPERATOR}")

            tid, key = server.tenant_with_key()
            base = f"/v1/tenants/{tid}/endpoints"
            url = "http://127.0.0.1:9/hook"
            status, body, _ = server.request("POST", base, {"url": url, "operational": True,
                                                            "event_types": ["order.*"]}, token=key)
            self.assertEqual(status, 422)
            self.assertIn("operational", body["error"]["message"])
            status, _, _ = server.request("POST", base, {"url": url, "operational": "yes"}, token=key)
            self.assertEqual(status, 400)
            ep = server.ok("POST", base, {"url": url, "operational": True,
                                          "event_types": ["delivery.*", "endpoint.disabled"]},
                           token=key)
            self.assertTrue(ep["operational"])
            plain = server.ok("POST", base, {"url": url}, token=key)
            self.assertFalse(plain["operational"])
            self.assertTrue(server.ok("GET", f"{base}/{ep['id']}", token=key)["operational"])
            # Fixed at creation: repeating the value is fine, changing it is not.
            status, body, _ = server.request("PATCH", f"{base}/{ep['id']}",
                                             {"operational": False}, token=key)
            self.assertEqual(status, 422)
            self.assertIn("operational", body["error"]["message"])
            status, _, _ = server.request("PATCH", f"{base}/{plain['id']}",
                                          {"operational": True}, token=key)
            self.assertEqual(status, 422)
            server.ok("PATCH", f"{base}/{ep['id']}", {"operational": True}, token=key)
            status, _, _ = server.request("PATCH", f"{base}/{ep['id']}",
                                          {"event_types": ["invoice.paid"]}, token=key)
            self.assertEqual(status, 422)
            # The catalogue restriction does not apply to operational endpoints.
            server.ok("PATCH", f"/v1/tenants/{tid}",
                      {"settings": {"restrict_subscriptions_to_catalogue": True}})
            status, _, _ = server.request("POST", base, {"url": url, "event_types": ["order.*"]},
                                          token=key)
            self.assertEqual(status, 422)
            server.ok("POST", base, {"url": url, "operational": True,
                                     "event_types": ["delivery.exhausted"]}, token=key)
            # The CLI client creates one the same way.
            env = dict(os.environ, AXON_URL=server.url, AXON_TOKEN=server.admin_token)
            proc = subprocess.run([AXON_BIN, "endpoints", "create", "--tenant", OPERATOR,
                                   "--url", url, "--operational", "--json"],
                                  capture_output=True, env=env, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            created = json.loads(proc.stdout)
            self.assertTrue(created["operational"])
            self.assertEqual(created["tenant_id"], OPERATOR)

    def test_delivery_failing_recovered_and_exhausted(self):
        def business(_, record):
            data = json.loads(record["body"])["data"]
            attempt = int(record["headers"]["x-axon-attempt"])
            if data["case"] == "recovers" and attempt >= 3:
                return 200, {}, b"", 0
            return 500, {}, b"down", 0

        with Server("--retry-schedule", SCHEDULE, "--operational-failing-after", FAILING_AFTER) \
                as server, Receiver(business) as business_rx:
            s = Setup(server)
            try:
                ep = server.ok("POST", f"/v1/tenants/{s.tid}/endpoints", {"url": business_rx.url},
                               token=s.key)
                recovers = server.ok("POST", f"/v1/tenants/{s.tid}/events",
                                     {"type": "order.created", "data": {"case": "recovers"}},
                                     token=s.key)
                dies = server.ok("POST", f"/v1/tenants/{s.tid}/events",
                                 {"type": "order.created", "data": {"case": "dies"}}, token=s.key)
                # An ordinary event never reaches an operational endpoint.
                self.assertEqual(recovers["deliveries"], 1)
                ops, mine = s.check_copies(self, 4)
                self.assertEqual(types(ops), ["delivery.exhausted", "delivery.failing",
                                              "delivery.failing", "delivery.recovered"])
                by_type_event = {(e["type"], e["data"]["event_id"]): e for e in mine}
                failing = by_type_event[("delivery.failing", recovers["id"])]["data"]
                self.assertEqual(failing["endpoint_id"], ep["id"])
                self.assertEqual(failing["event_type"], "order.created")
                self.assertEqual(failing["attempt"]["n"], 2)
                self.assertEqual(failing["attempt"]["status_code"], 500)
                self.assertEqual(failing["attempt"]["error"], "http")
                recovered = by_type_event[("delivery.recovered", recovers["id"])]["data"]
                self.assertEqual(recovered["attempt"]["n"], 3)
                self.assertEqual(recovered["attempt"]["status_code"], 200)
                self.assertIsNone(recovered["attempt"]["error"])
                self.assertEqual(recovered["delivery_id"], failing["delivery_id"])
                exhausted = by_type_event[("delivery.exhausted", dies["id"])]["data"]
                self.assertEqual(exhausted["attempt"]["n"], 5)
                dead = server.ok("GET", f"/v1/tenants/{s.tid}/deliveries/{exhausted['delivery_id']}",
                                 token=s.key)
                self.assertEqual(dead["status"], "dead")
                self.assertEqual(dead["event_id"], dies["id"])
                # The operational events are events of the tenant, each delivered once.
                listed = server.ok("GET", f"/v1/tenants/{s.tid}/events?limit=100", token=s.key)
                self.assertEqual(sorted(e["type"] for e in listed["data"]),
                                 ["delivery.exhausted", "delivery.failing", "delivery.failing",
                                  "delivery.recovered", "order.created", "order.created"])
                self.assertEqual(len({e["id"] for e in ops}), 4)
            finally:
                s.close()

    def test_endpoint_disabled_and_enabled_by_api_and_by_410(self):
        with Server("--retry-schedule", SCHEDULE) as server, \
                Receiver(lambda i, r: (410, {}, b"gone", 0)) as gone_rx, Receiver() as ok_rx:
            s = Setup(server)
            try:
                base = f"/v1/tenants/{s.tid}/endpoints"
                ep = server.ok("POST", base, {"url": ok_rx.url}, token=s.key)
                server.ok("PATCH", f"{base}/{ep['id']}", {"disabled": True}, token=s.key)
                server.ok("PATCH", f"{base}/{ep['id']}", {"disabled": True}, token=s.key)  # no change
                server.ok("PATCH", f"{base}/{ep['id']}", {"disabled": False}, token=s.key)
                ops, mine = s.check_copies(self, 2)
                self.assertEqual(types(mine), ["endpoint.disabled", "endpoint.enabled"])
                by_type = {e["type"]: e["data"] for e in mine}
                self.assertEqual(by_type["endpoint.disabled"],
                                 {"tenant_id": s.tid, "endpoint_id": ep["id"], "url": ok_rx.url,
                                  "reason": "disabled by API", "source": "api"})
                self.assertEqual(by_type["endpoint.enabled"]["source"], "api")
                self.assertIsNone(by_type["endpoint.enabled"]["reason"])

                gone = server.ok("POST", base, {"url": gone_rx.url}, token=s.key)
                server.ok("POST", f"/v1/tenants/{s.tid}/events", {"type": "a.b", "data": {}},
                          token=s.key)
                ops, mine = s.check_copies(self, 4)
                self.assertEqual(types(mine), ["delivery.exhausted", "endpoint.disabled",
                                               "endpoint.disabled", "endpoint.enabled"])
                by_gone = [e["data"] for e in mine if e["data"]["endpoint_id"] == gone["id"]]
                disabled = [d for d in by_gone if "source" in d][0]
                self.assertEqual(disabled["source"], "gone")
                self.assertIn("410", disabled["reason"])
                self.assertTrue(server.ok("GET", f"{base}/{gone['id']}", token=s.key)["disabled"])

                # About the operator's own endpoint: one copy, not two.
                own = server.ok("POST", f"/v1/tenants/{OPERATOR}/endpoints", {"url": ok_rx.url})
                server.ok("PATCH", f"/v1/tenants/{OPERATOR}/endpoints/{own['id']}", {"disabled": True})
                wait_until(lambda: any(e["data"]["endpoint_id"] == own["id"]
                                       for e in s.operator_events()), message="operator's own")
                # A sentinel after it: once it arrived, a duplicate would have too.
                server.ok("PATCH", f"{base}/{ep['id']}", {"disabled": True}, token=s.key)
                wait_until(lambda: len(s.operator_events()) == 6, message="sentinel")
                own_events = [e for e in s.operator_events() if e["data"]["endpoint_id"] == own["id"]]
                self.assertEqual(len(own_events), 1)
                self.assertEqual(own_events[0]["tenant_id"], OPERATOR)
                self.assertEqual(own_events[0]["data"]["tenant_id"], OPERATOR)
            finally:
                s.close()

    def test_endpoint_auto_disabled(self):
        # The first housekeeping after a start disables endpoints failing for longer than
        # --auto-disable-after; a restart makes that happen now instead of in a minute.
        with Receiver(lambda i, r: (500, {}, b"", 0)) as failing_rx:
            first = Server("--retry-schedule", "1h", "--auto-disable-after", "1ms")
            first.start()
            s = None
            try:
                s = Setup(first)
                ep = first.ok("POST", f"/v1/tenants/{s.tid}/endpoints", {"url": failing_rx.url},
                              token=s.key)
                first.ok("POST", f"/v1/tenants/{s.tid}/events", {"type": "a.b", "data": {}},
                         token=s.key)
                wait_until(lambda: failing_rx.count() == 1, message="first failure")
                self.assertEqual(first.terminate(), 0)
                second = Server("--retry-schedule", "1h", "--auto-disable-after", "1ms",
                                workdir=first.workdir, admin_token=first.admin_token)
                with second:
                    s.server = second
                    ops, mine = s.check_copies(self, 1)
                    self.assertEqual(types(mine), ["endpoint.disabled"])
                    self.assertEqual(mine[0]["data"]["source"], "auto")
                    self.assertEqual(mine[0]["data"]["endpoint_id"], ep["id"])
                    self.assertTrue(second.ok("GET", f"/v1/tenants/{s.tid}/endpoints/{ep['id']}",
                                              token=s.key)["disabled"])
            finally:
                if first.proc.poll() is None:
                    first.kill9()
                if s:
                    s.close()

    def test_failing_operational_endpoint_ends_dead_without_a_loop(self):
        with Server("--retry-schedule", SCHEDULE, "--operational-failing-after", "1") as server, \
                Receiver() as ok_rx:
            s = Setup(server, tenant_behaviour=lambda i, r: (500, {}, b"", 0))
            try:
                base = f"/v1/tenants/{s.tid}/endpoints"
                ep = server.ok("POST", base, {"url": ok_rx.url}, token=s.key)
                server.ok("PATCH", f"{base}/{ep['id']}", {"disabled": True}, token=s.key)
                wait_until(lambda: s.tenant_rx.count() == 5, timeout=20,
                           message="5 attempts at the failing operational endpoint")
                op_deliveries = lambda: server.ok(
                    "GET", f"/v1/tenants/{s.tid}/deliveries?endpoint_id={s.tenant_ep['id']}",
                    token=s.key)["data"]
                wait_until(lambda: [d["status"] for d in op_deliveries()] == ["dead"],
                           message="the operational delivery to be dead")
                self.assertEqual(s.tenant_rx.count(), 5)
                # Sentinel: emitted after the dead outcome was recorded (and its operational
                # events, had there been any, emitted before that).
                server.ok("PATCH", f"{base}/{ep['id']}", {"disabled": False}, token=s.key)
                wait_until(lambda: len(s.operator_events()) >= 2, message="sentinel")
                self.assertEqual([e["type"] for e in s.operator_events()],
                                 ["endpoint.disabled", "endpoint.enabled"])
                self.assertTrue(all(e["data"]["endpoint_id"] == ep["id"]
                                    for e in s.operator_events()))
                listed = server.ok("GET", f"/v1/tenants/{s.tid}/events", token=s.key)["data"]
                self.assertEqual(sorted(e["type"] for e in listed),
                                 ["endpoint.disabled", "endpoint.enabled"])
            finally:
                s.close()

    def test_410_from_an_operational_endpoint_disables_it_silently(self):
        with Server("--retry-schedule", SCHEDULE) as server, Receiver() as ok_rx:
            s = Setup(server, tenant_behaviour=lambda i, r: (410, {}, b"", 0))
            try:
                base = f"/v1/tenants/{s.tid}/endpoints"
                ep = server.ok("POST", base, {"url": ok_rx.url}, token=s.key)
                server.ok("PATCH", f"{base}/{ep['id']}", {"disabled": True}, token=s.key)
                wait_until(lambda: server.ok("GET", f"{base}/{s.tenant_ep['id']}",
                                             token=s.key)["disabled"],
                           message="the operational endpoint to be disabled by its 410")
                server.ok("PATCH", f"{base}/{ep['id']}", {"disabled": False}, token=s.key)
                wait_until(lambda: len(s.operator_events()) >= 2, message="sentinel")
                self.assertEqual([(e["type"], e["data"]["endpoint_id"]) for e in s.operator_events()],
                                 [("endpoint.disabled", ep["id"]), ("endpoint.enabled", ep["id"])])
                self.assertEqual(s.tenant_rx.count(), 1)
            finally:
                s.close()


if __name__ == "__main__":
    unittest.main()
