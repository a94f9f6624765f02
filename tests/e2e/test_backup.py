"""Backups and restores, as the README describes them.

SQLite: `axon-webhooks backup` copies a store that `serve` keeps writing (events arrive all
through the copy); the copy is restored into a new directory, served with the same master
key, and every delivery pending at backup time is delivered.
PostgreSQL: pg_dump of a live database with pending deliveries, pg_restore into a new
database, serve on it: the deliveries complete."""
import json
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import unittest

from harness import AXON_BIN, Receiver, Server, wait_until
from pgserver import PgServer

KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes, tests only
TOKEN = "axadm_backup_test_token"
# Failed attempts retry every second for a minute: deliveries stay pending while the
# receiver is down, and are due soon after a restore.
SCHEDULE = ",".join(["1s"] * 60)


class SwitchableReceiver(Receiver):
    """Answers 500 until `up` is set, then 204."""

    def __init__(self):
        self.up = threading.Event()
        super().__init__(lambda i, r: (204 if self.up.is_set() else 500, {}, b"", 0))

    def delivered_ids(self):
        return {json.loads(r["body"])["id"] for r in self.snapshot()}


def node(db, workdir=None):
    return Server("--retry-schedule", SCHEDULE, "--request-timeout", "2s", db=db, workdir=workdir,
                  admin_token=TOKEN, env={"AXON_MASTER_KEY": KEY})


def publish(node, tid, key, n, tag):
    return [node.ok("POST", f"/v1/tenants/{tid}/events", {"type": "backup.test", "data": {tag: i}},
                    token=key)["id"] for i in range(n)]


class BackupRestoreTest(unittest.TestCase):
    def deliver_after_restore(self, node, rx, tid, key, expected):
        rx.up.set()
        wait_until(lambda: set(expected) <= rx.delivered_ids(), timeout=120, interval=0.2,
                   message="every delivery pending at backup time delivered after the restore")
        wait_until(lambda: not node.ok("GET", f"/v1/tenants/{tid}/deliveries?status=pending&limit=10",
                                       token=key)["data"],
                   timeout=60, interval=0.2, message="nothing left pending")

    def test_sqlite_backup_under_load_restores_and_delivers(self):
        live_dir = tempfile.mkdtemp(prefix="axon-live-")
        restore_dir = tempfile.mkdtemp(prefix="axon-restored-")
        backup_file = os.path.join(tempfile.mkdtemp(prefix="axon-backup-"), "axon-backup.db")
        with SwitchableReceiver() as rx:
            with node(f"sqlite:{live_dir}/axon.db", live_dir) as live:
                tid, key = live.tenant_with_key()
                live.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": rx.url})
                pending = publish(live, tid, key, 300, "before")
                # Load all through the backup: events keep arriving and attempts keep failing.
                stop = threading.Event()
                during = []
                def load():
                    i = 0
                    while not stop.is_set():
                        during.extend(publish(live, tid, key, 1, f"during{i}"))
                        i += 1
                loader = threading.Thread(target=load)
                loader.start()
                try:
                    wait_until(lambda: len(during) >= 20, message="load running")
                    result = subprocess.run([AXON_BIN, "backup", "--db", f"sqlite:{live_dir}/axon.db",
                                             "--to", backup_file, "--pages-per-step", "8"],
                                            capture_output=True, text=True, timeout=120)
                finally:
                    stop.set()
                    loader.join()
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("backed up", result.stdout)
                self.assertEqual(stat.S_IMODE(os.stat(backup_file).st_mode), 0o600)
                self.assertFalse(os.path.exists(backup_file + ".partial"))

            # Restore as the README says: the backup file becomes axon.db in a directory
            # without stale -wal/-shm files; serve it with the same master key.
            shutil.copyfile(backup_file, os.path.join(restore_dir, "axon.db"))
            with node(f"sqlite:{restore_dir}/axon.db", restore_dir) as restored:
                events = restored.ok("GET", f"/v1/tenants/{tid}/events?limit=1000", token=key)["data"]
                ids = {e["id"] for e in events}
                self.assertTrue(set(pending) <= ids)
                self.assertGreaterEqual(len(ids), len(pending) + 20)  # events of the load, too
                self.deliver_after_restore(restored, rx, tid, key, ids)
        shutil.rmtree(os.path.dirname(backup_file), ignore_errors=True)

    def test_postgres_dump_of_a_live_database_restores_and_delivers(self):
        with PgServer() as pg, SwitchableReceiver() as rx:
            dump_dir = tempfile.mkdtemp(prefix="axon-dump-")
            dump = os.path.join(dump_dir, "axon.dump")
            with node(pg.create_db("live")) as live:
                tid, key = live.tenant_with_key()
                live.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": rx.url})
                pending = publish(live, tid, key, 200, "before")
                wait_until(lambda: rx.count() >= 50, message="attempts failing while the dump runs")
                subprocess.run([os.path.join(pg.bindir, "pg_dump"), "--format=custom", "--file", dump,
                                pg.url("live")], check=True, capture_output=True, timeout=120)
            restored_db = pg.create_db("restored")
            subprocess.run([os.path.join(pg.bindir, "pg_restore"), "--exit-on-error", "--no-owner",
                            "--dbname", restored_db, dump], check=True, capture_output=True, timeout=120)
            shutil.rmtree(dump_dir, ignore_errors=True)
            with node(restored_db) as restored:
                self.deliver_after_restore(restored, rx, tid, key, pending)


if __name__ == "__main__":
    unittest.main()
