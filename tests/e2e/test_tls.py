"""HTTPS delivery end to end (issue 16): `serve --ca-file` trusting a private CA, an endpoint
presenting a client certificate to a receiver that requires one (mutual TLS), the error a
person reads when it is missing, the key surviving master-key rotation, and every delivery
going through a real egress proxy (tinyproxy) with `--egress-proxy`.

Certificates are made at test time with the openssl command line; everything runs on
127.0.0.1."""
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from harness import AXON_BIN, Receiver, Server, free_port, wait_until


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(workdir):
    """A CA, a server certificate for localhost/127.0.0.1 and a client certificate, as files."""
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for ca in ("server-ca", "client-ca"):
        openssl("req", "-x509", *key, "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-days", "2",
                "-subj", f"/CN=E2E {ca}", cwd=workdir)
    with open(os.path.join(workdir, "san.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name, ca, subject in (("server", "server-ca", "/CN=localhost"),
                              ("client", "client-ca", "/CN=axon-e2e-sender/O=Acme")):
        openssl("req", "-new", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", subject, cwd=workdir)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", "san.cnf",
                cwd=workdir)
    return lambda name: os.path.join(workdir, name)


def read(path):
    with open(path) as f:
        return f.read()


def mtls_context(pki):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki("server.pem"), pki("server.key"))
    context.load_verify_locations(pki("client-ca.pem"))
    context.verify_mode = ssl.CERT_REQUIRED
    return context


class TlsDelivery(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="axon-e2e-tls-")
        self.pki = make_pki(self.workdir)

    def tearDown(self):
        shutil.rmtree(self.workdir, ignore_errors=True)

    def test_client_certificate_through_a_private_ca_and_master_key_rotation(self):
        pki = self.pki
        with Receiver(tls_context=mtls_context(pki)) as receiver:
            server = Server("--ca-file", pki("server-ca.pem"), "--retry-schedule", "1s,1s")
            server.start()
            tid, key = server.tenant_with_key()
            endpoint = server.ok("POST", f"/v1/tenants/{tid}/endpoints", {
                "url": receiver.url,
                "tls_client_certificate": read(pki("client.pem")),
                "tls_client_key": read(pki("client.key"))}, token=key)
            self.assertEqual(endpoint["tls_client_key"], True)
            self.assertIn("CN=axon-e2e-sender", endpoint["tls_client_certificate_subject"])
            self.assertNotIn("PRIVATE KEY", str(endpoint))
            bare = server.ok("POST", f"/v1/tenants/{tid}/endpoints", {"url": receiver.url},
                             token=key)

            event = server.ok("POST", f"/v1/tenants/{tid}/events",
                              {"type": "order.created", "data": {"n": 1}}, token=key)
            self.assertEqual(event["deliveries"], 2)
            wait_until(lambda: receiver.count() >= 1, message="the mTLS delivery")
            subject = dict(x[0] for x in receiver.snapshot()[0]["client_certificate"]["subject"])
            self.assertEqual(subject["commonName"], "axon-e2e-sender")

            # The endpoint without a certificate: a `tls` attempt that says what is missing.
            def bare_attempt():
                page = server.ok("GET", f"/v1/tenants/{tid}/deliveries?endpoint_id={bare['id']}",
                                 token=key)["data"]
                return page and page[0].get("last_attempt") and page[0]
            delivery = wait_until(bare_attempt, message="the attempt without a certificate")
            last = delivery["last_attempt"]
            self.assertEqual(last["error"], "tls")
            self.assertIn("requires a client certificate", last["error_message"])
            self.assertNotIn(read(pki("client.key")).splitlines()[1], server.read_log())

            # rotate-master-key re-seals the client key: deliveries still present the certificate.
            self.assertEqual(server.terminate(), 0)
            server.proc.stdout.close()
            key_file = os.path.join(server.workdir, "axon.key")
            done = subprocess.run(
                [AXON_BIN, "rotate-master-key", "--db", server.db, "--master-key-file", key_file,
                 "--new-key-file", key_file + ".new"], capture_output=True, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr.decode())
            self.assertIn(b"re-sealed 5 sealed values", done.stdout)  # 2 secrets, 1 key, 2 header lists
            os.replace(key_file + ".new", key_file)
            again = Server("--ca-file", pki("server-ca.pem"), db=server.db,
                           workdir=server.workdir, admin_token=server.admin_token)
            with again:
                again.ok("POST", f"/v1/tenants/{tid}/events",
                         {"type": "order.created", "data": {"n": 2}}, token=key)
                wait_until(lambda: receiver.count() >= 2, message="delivery after rotation")

    def test_serve_refuses_a_ca_file_without_certificates(self):
        bogus = os.path.join(self.workdir, "bogus.pem")
        with open(bogus, "w") as f:
            f.write("not a certificate\n")
        server = Server("--ca-file", bogus)
        with self.assertRaises(AssertionError) as failed:
            server.start(timeout=10)
        self.assertIn("--ca-file", str(failed.exception))
        server.__exit__(None, None, None)


@unittest.skipUnless(shutil.which("tinyproxy"), "tinyproxy is not installed (scripts/deps.sh test)")
class EgressProxy(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="axon-e2e-proxy-")
        self.log = os.path.join(self.workdir, "proxy.log")
        self.port = free_port()
        config = os.path.join(self.workdir, "tinyproxy.conf")
        with open(config, "w") as f:
            f.write(f"Port {self.port}\nListen 127.0.0.1\nTimeout 30\nLogLevel Info\n"
                    "Allow 127.0.0.1\n")
        self.proxy = subprocess.Popen(["tinyproxy", "-d", "-c", config],
                                      stdout=open(self.log, "wb"), stderr=subprocess.STDOUT)
        wait_until(self.accepting, message="tinyproxy to listen")

    def accepting(self):
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def tearDown(self):
        self.proxy.terminate()
        self.proxy.wait(timeout=30)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def proxy_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def test_every_delivery_goes_through_the_proxy(self):
        with Receiver() as receiver, \
                Server("--egress-proxy", f"http://127.0.0.1:{self.port}") as server:
            tid, key = server.tenant_with_key()
            server.ok("POST", f"/v1/tenants/{tid}/endpoints",
                      {"url": f"http://localhost:{receiver.port}/hook"}, token=key)
            for n in range(3):
                server.ok("POST", f"/v1/tenants/{tid}/events",
                          {"type": "order.created", "data": {"n": n}}, token=key)
            wait_until(lambda: receiver.count() == 3, message="3 deliveries through the proxy")
            self.assertEqual(receiver.snapshot()[0]["headers"]["host"],
                             f"localhost:{receiver.port}")
            wait_until(lambda: f"CONNECT 127.0.0.1:{receiver.port}" in self.proxy_log(),
                       message="the proxy's log to show the tunnel")
            self.assertNotIn("CONNECT localhost", self.proxy_log())


if __name__ == "__main__":
    unittest.main()
