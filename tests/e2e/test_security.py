"""Security end to end with the real binary: secret rotation (both signatures during the
overlap), secrets encrypted at rest, master key rotation, and no secrets in debug logs."""
import base64
import glob
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

from harness import (AXON_BIN, Receiver, Server, verify_axon_signature,
                     verify_standard_signature, wait_until)


def secret_forms(secret):
    """The secret and the forms in which a leak would show: its base64 part, the raw key
    bytes, and their hex and URL-safe base64 spellings."""
    b64 = secret[len("whsec_"):]
    raw = base64.b64decode(b64)
    return [secret.encode(), b64.encode(), raw, raw.hex().encode(),
            base64.urlsafe_b64encode(raw).rstrip(b"=")]


def db_bytes(workdir):
    """Every byte of the SQLite database, its WAL and shared-memory files."""
    data = b""
    for path in glob.glob(os.path.join(workdir, "axon.db*")):
        with open(path, "rb") as f:
            data += f.read()
    return data


def delivered_for(receiver, event_id):
    return [r for r in receiver.snapshot() if r["headers"].get("x-axon-event-id") == event_id]


def v1_entries(request):
    h = request["headers"]
    axon = [p.split("=", 1)[1] for p in h["x-axon-signature"].split(",") if p.startswith("v1=")]
    standard = [e for e in h["webhook-signature"].split(" ") if e.startswith("v1,")]
    return axon, standard


def verifies(secret, request):
    h = request["headers"]
    ok, _ = verify_axon_signature(secret, h["x-axon-signature"], request["body"])
    std = verify_standard_signature(secret, h["webhook-id"], h["webhook-timestamp"],
                                    h["webhook-signature"], request["body"])
    return ok and std


class SecretRotationTest(unittest.TestCase):
    def test_both_signatures_during_the_overlap(self):
        with Server() as server, Receiver() as receiver:
            tid, key = server.tenant_with_key()
            ep = server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url},
                           token=key)
            old = ep["secret"]
            ev = server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {}},
                           token=key)
            wait_until(lambda: delivered_for(receiver, ev["id"]), message="first delivery")
            before = delivered_for(receiver, ev["id"])[0]
            self.assertEqual([len(x) for x in v1_entries(before)], [1, 1])

            rotated = server.ok("POST", f"/v1/tenants/{tid}/endpoints/{ep['id']}/rotate-secret",
                                token=key)
            new = rotated["secret"]
            self.assertTrue(new.startswith("whsec_"))
            self.assertNotEqual(new, old)

            ev2 = server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {"n": 2}},
                            token=key)
            wait_until(lambda: delivered_for(receiver, ev2["id"]), message="delivery after rotation")
            after = delivered_for(receiver, ev2["id"])[0]
            axon, standard = v1_entries(after)
            self.assertEqual(len(axon), 2, after["headers"]["x-axon-signature"])
            self.assertEqual(len(standard), 2, after["headers"]["webhook-signature"])
            # A receiver that knows only the new secret, and one that knows only the old.
            self.assertTrue(verifies(new, after))
            self.assertTrue(verifies(old, after))
            self.assertFalse(verifies("whsec_" + base64.b64encode(b"x" * 32).decode(), after))
            # Each secret matches exactly one entry of each header.
            for secret in (old, new):
                h = after["headers"]
                t = h["webhook-timestamp"]
                matches = [v for v in axon
                           if verify_axon_signature(secret, f"t={t},v1={v}", after["body"])[0]]
                self.assertEqual(len(matches), 1)
                matches = [e for e in standard
                           if verify_standard_signature(secret, h["webhook-id"], t, e, after["body"])]
                self.assertEqual(len(matches), 1)
            # The secret endpoint of the API shows the new one.
            shown = server.ok("GET", f"/v1/tenants/{tid}/endpoints/{ep['id']}/secret", token=key)
            self.assertEqual(shown["secret"], new)


class SecretsAtRestTest(unittest.TestCase):
    def test_database_copy_alone_does_not_reveal_secrets(self):
        with Server() as server, Receiver() as receiver:
            tid, key = server.tenant_with_key()
            secrets_seen = []
            credentials = [f"Bearer receiver-credential-{i}-" + os.urandom(8).hex() for i in range(3)]
            for i in range(3):
                ep = server.ok("POST", f"/v1/tenants/{tid}/endpoints",
                               {"url": receiver.url, "description": f"ep {i}",
                                "headers": {"Authorization": credentials[i]}}, token=key)
                secrets_seen.append(ep["secret"])
                # The API still shows the tenant its header values.
                shown = server.ok("GET", f"/v1/tenants/{tid}/endpoints/{ep['id']}", token=key)
                self.assertEqual(shown["headers"], {"Authorization": credentials[i]})
            rotated = server.ok("POST", f"/v1/tenants/{tid}/endpoints/{ep['id']}/rotate-secret",
                                token=key)
            secrets_seen.append(rotated["secret"])
            ev = server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {}},
                           token=key)
            wait_until(lambda: len(delivered_for(receiver, ev["id"])) == 3, message="deliveries")
            # Receivers get the header values as set.
            self.assertEqual(sorted(r["headers"].get("authorization") for r in
                                    delivered_for(receiver, ev["id"])), sorted(credentials))
            self.assertEqual(server.terminate(), 0)

            data = db_bytes(server.workdir)
            self.assertGreater(len(data), 0)
            self.assertIn(b"ep 1", data, "the database copy is readable: the check is meaningful")
            for secret in secrets_seen:
                for form in secret_forms(secret):
                    self.assertNotIn(form, data, f"a form of an endpoint secret is in the db")
            for credential in credentials:
                self.assertNotIn(credential.encode(), data, "a custom header value is in the db")
            self.assertNotIn(b"receiver-credential", data)
            # The database files are readable by their owner only.
            for path in glob.glob(os.path.join(server.workdir, "axon.db*")):
                self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, path)
            # API keys and the admin token are stored only as hashes.
            self.assertNotIn(key.encode(), data)
            self.assertNotIn(server.admin_token.encode(), data)
            # The master key lives beside the database, readable by the owner only.
            key_file = os.path.join(server.workdir, "axon.key")
            self.assertEqual(stat.S_IMODE(os.stat(key_file).st_mode), 0o600)


class MasterKeyRotationTest(unittest.TestCase):
    def test_rotate_master_key_then_deliver_with_the_same_secrets(self):
        workdir = tempfile.mkdtemp(prefix="axon-e2e-mkr-")
        receiver = Receiver()
        try:
            token = "axadm_mkr_" + base64.urlsafe_b64encode(os.urandom(18)).decode()
            first = Server(workdir=workdir, admin_token=token).start()
            tid, key = first.tenant_with_key()
            plain = first.ok("POST", f"/v1/tenants/{tid}/endpoints",
                             {"url": receiver.url, "headers": {"X-Receiver-Key": "rk-before-rotation"}},
                             token=key)
            rotated_ep = first.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url},
                                  token=key)
            old_of_rotated = rotated_ep["secret"]
            new_of_rotated = first.ok(
                "POST", f"/v1/tenants/{tid}/endpoints/{rotated_ep['id']}/rotate-secret",
                token=key)["secret"]
            self.assertEqual(first.terminate(), 0)
            first.proc.stdout.close()

            key_file = os.path.join(workdir, "axon.key")
            new_key_file = os.path.join(workdir, "axon.key.new")
            with open(key_file, "rb") as f:
                old_key = f.read()
            done = subprocess.run(
                [AXON_BIN, "rotate-master-key", "--db", first.db, "--master-key-file", key_file,
                 "--new-key-file", new_key_file], capture_output=True, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr.decode())
            # 3 secrets (one endpoint has two during its overlap) and 2 header lists.
            self.assertIn(b"re-sealed 5 sealed values", done.stdout)
            self.assertEqual(stat.S_IMODE(os.stat(new_key_file).st_mode), 0o600)
            # Running it again is harmless (everything is already under the new key).
            again = subprocess.run(
                [AXON_BIN, "rotate-master-key", "--db", first.db, "--master-key-file", key_file,
                 "--new-key-file", new_key_file], capture_output=True, timeout=60)
            self.assertEqual(again.returncode, 0, again.stderr.decode())
            self.assertIn(b"re-sealed 0 sealed values (5 were already", again.stdout)

            # The operator swaps the key file; the old key is no longer needed.
            os.replace(new_key_file, key_file)
            with open(key_file, "rb") as f:
                self.assertNotEqual(f.read(), old_key)

            second = Server(workdir=workdir, admin_token=token).start()
            ev = second.ok("POST", f"/v1/tenants/{tid}/events", {"type": "a.b", "data": {"k": 1}},
                           token=key)
            self.assertEqual(ev["deliveries"], 2)
            wait_until(lambda: len(delivered_for(receiver, ev["id"])) == 2, message="deliveries")
            by_path = {}
            for request in delivered_for(receiver, ev["id"]):
                by_path.setdefault(request["headers"]["x-axon-delivery-id"], request)
            results = []
            for request in by_path.values():
                results.append((verifies(plain["secret"], request),
                                verifies(new_of_rotated, request) and
                                verifies(old_of_rotated, request)))
            # One delivery verifies with the plain endpoint's secret shown at creation; the
            # other with both secrets of the rotated endpoint.
            self.assertEqual(sorted(results), [(False, True), (True, False)])
            # The header list opened under the new key too.
            keys_sent = [r["headers"].get("x-receiver-key") for r in by_path.values()]
            self.assertEqual(sorted(keys_sent, key=str), sorted(["rk-before-rotation", None], key=str))
            shown = second.ok("GET", f"/v1/tenants/{tid}/endpoints/{plain['id']}/secret",
                              token=key)
            self.assertEqual(shown["secret"], plain["secret"])
            self.assertEqual(second.terminate(), 0)
            second.proc.stdout.close()

            # The old key no longer opens the secrets: a rotation from it is refused.
            with open(os.path.join(workdir, "old.key"), "wb") as f:
                f.write(old_key)
            os.chmod(os.path.join(workdir, "old.key"), 0o600)
            wrong = subprocess.run(
                [AXON_BIN, "rotate-master-key", "--db", first.db, "--master-key-file",
                 os.path.join(workdir, "old.key"), "--new-key-file",
                 os.path.join(workdir, "third.key")], capture_output=True, timeout=60)
            self.assertNotEqual(wrong.returncode, 0)
            # The database's key check value shows the stale key is not its key before any
            # secret is touched.
            self.assertIn(b"old master key is not the one that sealed this database", wrong.stderr)
        finally:
            receiver.close()
            shutil.rmtree(workdir, ignore_errors=True)


class NoSecretsInLogsTest(unittest.TestCase):
    def test_debug_log_of_a_full_scenario_holds_no_secret(self):
        failing = lambda i, r: (500, {}, b"receiver says no", 0)
        with Server("--log-level", "debug", "--retry-schedule", "50ms,50ms") as server, \
                Receiver() as good, Receiver(failing) as bad:
            tid, key = server.tenant_with_key("logs")
            key2 = server.ok("POST", f"/v1/tenants/{tid}/api-keys")["key"]
            leaks = [server.admin_token, key, key2]
            ep_good = server.ok("POST", f"/v1/tenants/{tid}/endpoints",
                                {"url": good.url, "headers": {"X-Custom": "custom-value"}},
                                token=key)
            ep_bad = server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": bad.url},
                               token=key2)
            leaks += [ep_good["secret"], ep_bad["secret"]]
            for i in range(3):
                server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "order.created",
                                                                "data": {"i": i}},
                          token=key, headers={"Idempotency-Key": f"idem-{i}"})
            rotated = server.ok("POST", f"/v1/tenants/{tid}/endpoints/{ep_good['id']}/rotate-secret",
                                token=key)
            leaks.append(rotated["secret"])
            shown = server.ok("GET", f"/v1/tenants/{tid}/endpoints/{ep_bad['id']}/secret",
                              token=key)
            self.assertEqual(shown["secret"], ep_bad["secret"])
            server.ok("POST", f"/v1/tenants/{tid}/events", {"type": "order.updated", "data": {}},
                      token=key)
            # Wrong credentials too (their text must not be echoed either).
            for wrong in ("axk_wrongwrongwrongwrongwrongwrongwrongwrong", "not-a-token-at-all"):
                status, _, _ = server.request("GET", f"/v1/tenants/{tid}/endpoints", token=wrong)
                self.assertEqual(status, 401)
                leaks.append(wrong)
            wait_until(lambda: good.count() >= 4, message="good deliveries")
            wait_until(lambda: len(server.ok("GET", f"/v1/tenants/{tid}/dead-letters")["data"]) == 4,
                       timeout=20, message="failing deliveries to die")
            dead = server.ok("GET", f"/v1/tenants/{tid}/dead-letters")["data"]
            server.ok("POST", f"/v1/tenants/{tid}/deliveries/{dead[0]['id']}/replay", token=key)
            server.ok("DELETE", f"/v1/tenants/{tid}/api-keys/"
                      + server.ok("GET", f"/v1/tenants/{tid}/api-keys")["data"][0]["id"])
            # Every signature value any receiver was sent.
            for request in good.snapshot() + bad.snapshot():
                axon, standard = v1_entries(request)
                leaks += axon + [e.split(",", 1)[1] for e in standard]
            self.assertEqual(server.terminate(), 0)

            log = server.read_log()
            self.assertRegex(log, r"\bdebug\b", "debug logging was on")
            self.assertRegex(log, r"(?i)(attempt|deliver)", "the log covers deliveries")
            for leak in leaks:
                self.assertNotIn(leak, log, "a credential, secret or signature is in the log")
                if leak.startswith("whsec_"):
                    for form in secret_forms(leak)[1:]:
                        try:
                            text = form.decode()
                        except UnicodeDecodeError:
                            continue
                        self.assertNotIn(text, log)
            self.assertNotIn("custom-value", log.replace("X-Custom", ""))


if __name__ == "__main__":
    unittest.main()
