"""The CLI client (`axon-webhooks tenants|api-keys|endpoints|events|deliveries|dead-letters|
replay|recover`) against a real server, in --json and table mode."""
import json
import os
import subprocess
import unittest

from harness import AXON_BIN, Receiver, Server, wait_until


class CliTest(unittest.TestCase):
    def cli(self, *args, token=None, expect=0):
        env = dict(os.environ, AXON_URL=self.server.url, AXON_TOKEN=token or self.server.admin_token)
        proc = subprocess.run([AXON_BIN, *args], capture_output=True, env=env, timeout=60)
        self.assertEqual(proc.returncode, expect,
                         f"{args}: rc={proc.returncode}\nstdout={proc.stdout}\nstderr={proc.stderr}")
        return proc.stdout.decode(), proc.stderr.decode()

    def cli_json(self, *args, token=None):
        out, _ = self.cli(*args, "--json", token=token)
        return json.loads(out)

    def test_full_session(self):
        failing = {"on": True}
        behaviour = lambda i, r: ((500 if failing["on"] else 204), {}, b"nope", 0)
        with Server("--retry-schedule", "50ms") as server, Receiver(behaviour) as receiver:
            self.server = server
            tenant = self.cli_json("tenants", "create", "acme")
            self.assertTrue(tenant["id"].startswith("ten_"))
            out, _ = self.cli("tenants", "list")
            self.assertIn("acme", out)
            self.assertIn("NAME", out.splitlines()[0])
            key = self.cli_json("api-keys", "create", tenant["id"])
            self.assertIn("key", key)
            keys = self.cli_json("api-keys", "list", tenant["id"])
            self.assertEqual([k["id"] for k in keys["data"]], [key["id"]])

            tid, token = tenant["id"], key["key"]
            ep = self.cli_json("endpoints", "create", "--tenant", tid, "--url", receiver.url,
                               "--event-type", "order.*", "--event-type", "invoice.paid",
                               "--header", "X-Team: payments", "--description", "orders",
                               "--max-in-flight", "4", token=token)
            self.assertEqual(ep["event_types"], ["order.*", "invoice.paid"])
            self.assertEqual(ep["headers"], {"X-Team": "payments"})
            self.assertTrue(ep["secret"].startswith("whsec_"))
            upd = self.cli_json("endpoints", "update", "--tenant", tid, ep["id"], "--ordering",
                                "fifo", token=token)
            self.assertEqual(upd["ordering"], "fifo")
            out, _ = self.cli("endpoints", "list", "--tenant", tid, token=token)
            self.assertIn(ep["id"], out)
            self.assertIn("order.*,invoice.paid", out)
            rotated = self.cli_json("endpoints", "rotate-secret", "--tenant", tid, ep["id"], token=token)
            self.assertTrue(rotated["secret"].startswith("whsec_"))

            # An event that fails until it is a dead letter.
            sent = self.cli_json("events", "send", "--tenant", tid, "--type", "order.created",
                                 "--data", '{"n": 1}', "--idempotency-key", "k1", token=token)
            self.assertEqual(sent["deliveries"], 1)
            again = self.cli_json("events", "send", "--tenant", tid, "--type", "order.created",
                                  "--data", '{"n": 1}', "--idempotency-key", "k1", token=token)
            self.assertEqual(again["id"], sent["id"])
            wait_until(lambda: self.cli_json("dead-letters", "--tenant", tid, token=token)["data"],
                       timeout=30, message="a dead letter")
            dead = self.cli_json("deliveries", "list", "--tenant", tid, "--status", "dead", token=token)
            self.assertEqual(len(dead["data"]), 1)
            did = dead["data"][0]["id"]
            out, _ = self.cli("deliveries", "list", "--tenant", tid, token=token)
            header = out.splitlines()[0]
            self.assertIn("STATUS", header)
            self.assertIn("LAST ERROR", header)
            self.assertIn(did, out)
            self.assertIn("dead", out)
            out, _ = self.cli("deliveries", "show", "--tenant", tid, did, token=token)
            self.assertIn("status:", out)
            self.assertIn("500", out)
            shown = self.cli_json("events", "show", "--tenant", tid, sent["id"], token=token)
            self.assertEqual(shown["data"], {"n": 1})

            # Replay one dead letter and watch it succeed.
            failing["on"] = False
            self.cli("replay", "--tenant", tid, did, token=token)
            wait_until(lambda: self.cli_json("deliveries", "show", "--tenant", tid, did,
                                             token=token)["status"] == "succeeded",
                       timeout=30, message="replayed delivery succeeds")

            # Two more dead letters, recovered with the progress bar.
            failing["on"] = True
            for n in range(2):
                self.cli_json("events", "send", "--tenant", tid, "--type", "order.updated",
                              "--data", json.dumps({"n": n}), token=token)
            wait_until(lambda: len(self.cli_json("dead-letters", "--tenant", tid, token=token)["data"]) == 2,
                       timeout=30, message="two dead letters")
            failing["on"] = False
            out, err = self.cli("recover", "--tenant", tid, "--endpoint", ep["id"], "--since",
                                "2000-01-01T00:00:00Z", token=token)
            self.assertIn("replayed 2 dead letters", out)
            self.assertIn("2/2", err)
            self.assertIn("dead letters of this endpoint now: 0", out)
            self.assertEqual(self.cli_json("dead-letters", "--tenant", tid, token=token)["data"], [])

            events = self.cli_json("events", "list", "--tenant", tid, "--type", "order.updated", token=token)
            self.assertEqual(len(events["data"]), 2)
            self.cli("endpoints", "delete", "--tenant", tid, ep["id"], token=token)
            self.cli("api-keys", "revoke", tid, key["id"])

    def test_errors_print_code_and_exit_1(self):
        with Server() as server:
            self.server = server
            _, err = self.cli("tenants", "show", "ten_doesnotexist", expect=1)
            self.assertIn("not_found", err)
            _, err = self.cli("tenants", "list", token="wrong-token", expect=1)
            self.assertIn("unauthorized", err)
            _, err = self.cli("tenants", "list", "--api-url", "http://127.0.0.1:1", expect=1)
            self.assertIn("cannot reach", err)


if __name__ == "__main__":
    unittest.main()
