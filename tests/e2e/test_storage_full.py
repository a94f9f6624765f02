"""A full disk: the database sits on a small tmpfs of its own (never the real disk), a
ballast file eats the free space, and events are published until the API answers 503
storage_full. The dispatcher pauses meanwhile. Deleting the ballast frees space: service
resumes by itself and every accepted event is delivered exactly as accepted.

Mounting needs root (the tests and CI run as root); without it the tests skip and say so."""
import base64
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import Receiver, Server, wait_until
from pgserver import PgServer

KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes, tests only


def padding():
    """A few KB that do not compress (PostgreSQL compresses large values)."""
    return base64.b64encode(os.urandom(2400)).decode()


class SmallDisk:
    """A tmpfs of `size_mb` at a fresh directory, and a ballast file to fill it."""

    def __init__(self, size_mb, owner=None):
        self.path = tempfile.mkdtemp(prefix="axon-small-disk-")
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700",
                                 "tmpfs", self.path], capture_output=True, text=True)
        if result.returncode != 0:
            os.rmdir(self.path)
            raise unittest.SkipTest("cannot mount a small tmpfs for the full-disk test "
                                    f"(needs root): {result.stderr.strip()}")
        if owner:
            shutil.chown(self.path, owner, owner)
        self.ballast = os.path.join(self.path, "ballast")

    def fill(self, leave_kb):
        """Writes ballast until only about `leave_kb` KiB stay free."""
        st = os.statvfs(self.path)
        free = st.f_bavail * st.f_frsize
        with open(self.ballast, "wb") as f:
            f.write(b"\0" * max(0, free - leave_kb * 1024))

    def free(self):
        os.remove(self.ballast)

    def close(self):
        subprocess.run(["umount", "-l", self.path], check=False)
        shutil.rmtree(self.path, ignore_errors=True)


class StorageFullTest(unittest.TestCase):
    def run_until_full_and_back(self, node, disk):
        with Receiver() as rx:
            tid, key = node.tenant_with_key()
            node.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": rx.url})
            disk.fill(leave_kb=512)
            accepted, refusal = [], None
            for i in range(5000):
                status, body, _ = node.request("POST", f"/v1/tenants/{tid}/events",
                                               {"type": "disk.test", "data": {"i": i, "pad": padding()}},
                                               token=key)
                if status == 202:
                    accepted.append(body["id"])
                    continue
                refusal = (status, body)
                break
            self.assertIsNotNone(refusal, "the disk never filled")
            status, body = refusal
            self.assertEqual(status, 503, body)
            self.assertEqual(body["error"]["code"], "storage_full")
            self.assertIn("full", body["error"]["message"])
            # Still full: still refused with the same clear error, and the server stays up.
            # (A few more events may fit first: the database can reuse space it freed, e.g.
            # by vacuuming the failed attempt's rows; each one accepted is kept and checked.)
            for _ in range(50):
                status, body, _ = node.request("POST", f"/v1/tenants/{tid}/events",
                                               {"type": "disk.test", "data": {"pad": padding()}},
                                               token=key)
                if status != 202:
                    break
                accepted.append(body["id"])
            self.assertEqual((status, body.get("error", {}).get("code")), (503, "storage_full"), body)

            disk.free()
            # Service resumes by itself: new events are accepted again.
            def accepted_again():
                s, b, _ = node.request("POST", f"/v1/tenants/{tid}/events",
                                       {"type": "disk.test", "data": {"after": True}}, token=key)
                if s == 202:
                    accepted.append(b["id"])
                return s == 202
            wait_until(accepted_again, timeout=30, interval=0.2, message="ingest after space returned")

            def delivered_ids():
                import json
                return {json.loads(r["body"])["id"] for r in rx.snapshot()}
            wait_until(lambda: set(accepted) <= delivered_ids(), timeout=120, interval=0.2,
                       message="every accepted event delivered")
            # Each delivery ends succeeded (its outcome was recorded, not lost).
            def all_succeeded():
                page = node.ok("GET", f"/v1/tenants/{tid}/deliveries?status=pending&limit=10",
                               token=key)
                return not page["data"]
            wait_until(all_succeeded, timeout=60, interval=0.2, message="no delivery left pending")
            self.assertEqual(len(accepted), len(set(accepted)))

    def test_sqlite_full_disk_refuses_pauses_and_recovers(self):
        disk = SmallDisk(24)
        workdir = tempfile.mkdtemp(prefix="axon-e2e-")
        try:
            with Server(db=f"sqlite:{disk.path}/axon.db", workdir=workdir,
                        env={"AXON_MASTER_KEY": KEY}) as node:
                self.run_until_full_and_back(node, disk)
        finally:
            disk.close()

    def test_postgres_full_tablespace_refuses_pauses_and_recovers(self):
        # The server's own data directory (and its WAL) stay on the real disk; the database
        # lives in a tablespace on the small tmpfs.
        with PgServer() as pg:
            owner = "postgres" if pg.as_root else None
            disk = SmallDisk(48, owner=owner)
            try:
                space = os.path.join(disk.path, "space")
                os.mkdir(space, 0o700)
                if owner:
                    shutil.chown(space, owner, owner)
                pg.psql(f"CREATE TABLESPACE small LOCATION '{space}'")
                pg.psql("CREATE DATABASE fulldisk TABLESPACE small")
                with Server(db=pg.url("fulldisk"), env={"AXON_MASTER_KEY": KEY}) as node:
                    self.run_until_full_and_back(node, disk)
            finally:
                disk.close()


if __name__ == "__main__":
    unittest.main()
