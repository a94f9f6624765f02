"""The master-key check: every node on one database must use the key that sealed its secrets.
A node started with another key exits 1 with an error about the master key, on PostgreSQL
(two nodes at once) and on SQLite; the node with the right key keeps delivering."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import AXON_BIN, Receiver, Server, wait_until
from pgserver import PgServer

KEY_A = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes, tests only
KEY_B = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="  # another one
TOKEN = "axadm_master_key_test_token"


def serve_expecting_refusal(db, key):
    """Runs `serve` with `key`; returns the finished process (it must not start)."""
    workdir = tempfile.mkdtemp(prefix="axon-wrongkey-")
    try:
        return subprocess.run(
            [AXON_BIN, "serve", "--db", db, "--listen", "127.0.0.1:0", "--admin-token", TOKEN,
             "--master-key-file", os.path.join(workdir, "unused.key")],
            env=dict(os.environ, AXON_MASTER_KEY=key), capture_output=True, text=True,
            timeout=60)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class MasterKeyCheckTest(unittest.TestCase):
    def assert_refused(self, proc):
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertNotIn("listening on", proc.stdout)
        self.assertIn("master key does not match", proc.stderr)
        self.assertIn("AXON_MASTER_KEY", proc.stderr)

    def check_database(self, db, workdir=None):
        with Receiver() as rx, Server(db=db, workdir=workdir, admin_token=TOKEN,
                                      env={"AXON_MASTER_KEY": KEY_A}) as node:
            tid, key = node.tenant_with_key()
            node.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": rx.url})
            # A second node with another key, while the first one runs.
            self.assert_refused(serve_expecting_refusal(db, KEY_B))
            # The first node is unharmed and delivers.
            node.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {}}, token=key)
            wait_until(lambda: rx.count() >= 1, message="delivery by the node with the right key")
            self.assertIn("axon_deliveries_unsignable_total 0", node.request("GET", "/metrics")[1])

    def test_postgres_node_with_another_key_refuses_to_start(self):
        with PgServer() as pg:
            self.check_database(pg.create_db("masterkey"))

    def test_sqlite_node_with_another_key_refuses_to_start(self):
        workdir = tempfile.mkdtemp(prefix="axon-e2e-")
        self.check_database(f"sqlite:{workdir}/axon.db", workdir)


if __name__ == "__main__":
    unittest.main()
