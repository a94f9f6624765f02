"""Limits with the real binary: the per-tenant endpoint cap from the flag and the
environment, refused with 422 limit_exceeded and a message that names the cap."""
import os
import subprocess
import tempfile
import unittest

from harness import AXON_BIN, Server


def endpoint_body(n):
    return {"url": f"http://127.0.0.1:9/hook/{n}"}


class EndpointsPerTenant(unittest.TestCase):
    def fill_to_cap(self, server, tenant_id, key, cap):
        path = f"/v1/tenants/{tenant_id}/endpoints"
        for n in range(cap):
            server.ok("POST", path, endpoint_body(n), token=key)
        status, body, _ = server.request("POST", path, endpoint_body(cap), token=key)
        self.assertEqual(status, 422, body)
        self.assertEqual(body["error"]["code"], "limit_exceeded")
        self.assertIn(str(cap), body["error"]["message"])
        self.assertIn("--max-endpoints-per-tenant", body["error"]["message"])
        listed = server.ok("GET", f"{path}?limit=100", token=key)
        self.assertEqual(len(listed["data"]), cap)

    def test_environment_sets_the_cap_per_tenant(self):
        with Server(env={"AXON_MAX_ENDPOINTS_PER_TENANT": "2"}) as server:
            tid, key = server.tenant_with_key("first")
            self.fill_to_cap(server, tid, key, 2)
            # Another tenant has its own allowance; a deleted endpoint frees a place.
            other, other_key = server.tenant_with_key("second")
            server.ok("POST", f"/v1/tenants/{other}/endpoints", endpoint_body(0), token=other_key)
            first = server.ok("GET", f"/v1/tenants/{tid}/endpoints", token=key)["data"][0]
            server.ok("DELETE", f"/v1/tenants/{tid}/endpoints/{first['id']}", token=key)
            server.ok("POST", f"/v1/tenants/{tid}/endpoints", endpoint_body(9), token=key)

    def test_flag_wins_over_the_environment(self):
        with Server("--max-endpoints-per-tenant", "3",
                    env={"AXON_MAX_ENDPOINTS_PER_TENANT": "1"}) as server:
            tid, key = server.tenant_with_key()
            self.fill_to_cap(server, tid, key, 3)

    def test_a_bad_value_stops_the_server_with_a_message(self):
        with tempfile.TemporaryDirectory(prefix="axon-e2e-") as workdir:
            env = dict(os.environ, AXON_MAX_ENDPOINTS_PER_TENANT="lots")
            done = subprocess.run(
                [AXON_BIN, "serve", "--db", f"sqlite:{workdir}/axon.db", "--listen", "127.0.0.1:0"],
                env=env, capture_output=True, timeout=30)
            self.assertNotEqual(done.returncode, 0)
            self.assertIn(b"max-endpoints-per-tenant", done.stderr + done.stdout)


if __name__ == "__main__":
    unittest.main()
