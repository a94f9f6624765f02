"""/metrics checked by a real parser (promtool from Debian's prometheus package) after real
deliveries, and --log-format json: every stderr line is a JSON object with the fields."""
import json
import shutil
import subprocess
import unittest
import urllib.request

from harness import Receiver, Server, wait_until


def scrape(server):
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as resp:
        return resp.read().decode()


def samples(text):
    """{'name{labels}': value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


class ObservabilityTest(unittest.TestCase):
    def test_metrics_and_json_logs(self):
        behaviour = lambda i, r: ((204 if "good" in r["path"] else 500), {}, b"", 0)
        with Server("--retry-schedule", "20ms", "--log-format", "json") as server, \
                Receiver(behaviour) as receiver:
            tid, key = server.tenant_with_key()
            good = server.ok("POST", f"/v1/tenants/{tid}/endpoints",
                             {"url": receiver.url + "/good"}, token=key)
            bad = server.ok("POST", f"/v1/tenants/{tid}/endpoints",
                            {"url": receiver.url + "/bad", "event_types": ["order.failed"]},
                            token=key)
            for n in range(3):
                server.ok("POST", f"/v1/tenants/{tid}/events",
                          {"type": "order.created", "data": {"n": n}}, token=key)
            server.ok("POST", f"/v1/tenants/{tid}/events",
                      {"type": "order.failed", "data": {"secret_looking": "x"}}, token=key)
            wait_until(lambda: server.ok("GET", f"/v1/tenants/{tid}/dead-letters", token=key)["data"],
                       timeout=30, message="a dead letter")

            def settled():
                m = samples(scrape(server))
                return m if m.get('axon_deliveries_total{outcome="succeeded"}') == 4 else None
            m = wait_until(settled, timeout=30, message="metrics settle")
            text = scrape(server)

            self.assertEqual(m["axon_events_ingested_total"], 4)
            self.assertEqual(m['axon_deliveries_total{outcome="dead"}'], 1)
            self.assertEqual(m['axon_deliveries_total{outcome="retried"}'], 1)
            self.assertEqual(m['axon_attempt_errors_total{class="http"}'], 2)
            self.assertEqual(m['axon_attempt_errors_total{class="timeout"}'], 0)
            self.assertEqual(m["axon_attempts_total"], 6)
            self.assertEqual(m['axon_attempt_duration_seconds_bucket{le="+Inf"}'], 6)
            self.assertEqual(m["axon_attempt_duration_seconds_count"], 6)
            self.assertEqual(m['axon_endpoint_recent_failures{endpoint="%s"}' % bad["id"]], 2)
            self.assertEqual(m['axon_endpoint_recent_failures{endpoint="other"}'], 0)
            self.assertNotIn('axon_endpoint_recent_failures{endpoint="%s"}' % good["id"], m)
            self.assertEqual(m['axon_queue_depth{state="dead"}'], 1)
            self.assertEqual(m['axon_queue_depth{state="due"}'], 0)
            self.assertIn("axon_deliveries_in_flight", m)
            # SQLite's one writer: the ingests held it in the foreground, the dispatcher's
            # claims and outcomes in the background.
            self.assertGreater(m['axon_store_writer_busy_seconds_total{class="foreground"}'], 0)
            self.assertGreater(m['axon_store_writer_busy_seconds_total{class="background"}'], 0)
            self.assertIn("# TYPE axon_attempt_duration_seconds histogram", text)

            promtool = shutil.which("promtool")
            if promtool is None:
                self.fail("promtool is missing: scripts/deps.sh test installs Debian's prometheus")
            check = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                                   capture_output=True, timeout=30)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

            status, doc, headers = server.request("GET", "/openapi.json", token="")
            self.assertEqual(status, 200)
            self.assertEqual(doc["openapi"], "3.1.0")
            self.assertIn("/v1/tenants/{tid}/events", doc["paths"])

            server.terminate()
            lines = [l for l in server.read_log().splitlines() if l.strip()]
            records = [json.loads(line) for line in lines]  # every line is one JSON object
            for r in records:
                self.assertIn("time", r)
                self.assertIn("level", r)
                self.assertIn("msg", r)
            by_msg = lambda msg: [r for r in records if r["msg"] == msg]
            ingested = by_msg("event ingested")
            self.assertEqual(len(ingested), 4)
            self.assertTrue(all(r["tenant_id"] == tid and r["request_id"].startswith("req_")
                                for r in ingested))
            requests = by_msg("request handled")
            self.assertTrue(any(r["path"] == f"/v1/tenants/{tid}/events" and r["status"] == 202
                                and r["tenant_id"] == tid for r in requests))
            ingest_ids = {r["request_id"] for r in ingested}
            self.assertTrue(ingest_ids <= {r["request_id"] for r in requests})
            attempts = by_msg("attempt made")
            self.assertTrue(any(r["endpoint_id"] == bad["id"] and r["status_code"] == 500
                                and r["delivery_id"].startswith("dlv_") and r["tenant_id"] == tid
                                for r in attempts))
            dead = by_msg("delivery dead")
            self.assertEqual(len(dead), 1)
            self.assertEqual(dead[0]["endpoint_id"], bad["id"])
            log = server.read_log()
            self.assertNotIn(key, log)
            self.assertNotIn(server.admin_token, log)
            self.assertNotIn(bad["secret"], log)
            self.assertNotIn("Bearer", log)


if __name__ == "__main__":
    unittest.main()
