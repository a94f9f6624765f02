"""An Axon Webhooks receiver using only Python's standard library.
Run: AXON_WEBHOOK_SECRET=whsec_… PORT=3000 python3 verify_python.py"""
import hashlib
import hmac
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ["AXON_WEBHOOK_SECRET"]  # the endpoint's secret, "whsec_…"
TOLERANCE_SECONDS = 5 * 60
seen, seen_lock = set(), threading.Lock()  # event ids handled: use your database in production


def verify_signature(header, raw_body, secret):
    """X-Axon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…]"""
    items = [item.strip().partition("=") for item in (header or "").split(",")]
    t = next((value for key, _, value in items if key == "t"), "")
    if not (t.isascii() and t.isdigit()) or abs(time.time() - int(t)) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), t.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected.encode(), value.encode())
               for key, _, value in items if key == "v1")


def handle(event):
    print(f"handled {event['type']} {event['id']}", flush=True)  # the real work goes here


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        raw_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))  # exact bytes
        if not verify_signature(self.headers.get("X-Axon-Signature"), raw_body, SECRET):
            self.send_response(400)
            self.end_headers()
            return
        self.send_response(204)  # answer at once, work afterwards
        self.end_headers()
        event_id = self.headers.get("X-Axon-Event-Id")
        with seen_lock:
            if event_id in seen:
                return  # a redelivery: already handled
            seen.add(event_id)
        threading.Thread(target=handle, args=(json.loads(raw_body),)).start()


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", 3000))), Receiver)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
