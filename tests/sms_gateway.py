"""A real SMS gateway double on 127.0.0.1 for the outbox tests: it answers what each receipt code's
script says (500, 500, then 200...), honours the Idempotency-Key the way a real gateway does (a key it
already accepted is answered 200 and not delivered again) and records every request."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway:
    def __init__(self, delay: float = 0.0):
        self.requests: list[tuple[str, dict]] = []
        self.delivered: list[tuple[str, dict]] = []
        self.scripts: dict[str, list[int]] = {}
        self.delay = delay
        self.hold_receipt: str | None = None  # a request for this receipt waits for `release`
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                key = self.headers.get("Idempotency-Key", "")
                status = gateway._answer(key, body)
                if gateway.hold_receipt and body.get("receipt_code") == gateway.hold_receipt:
                    gateway.arrived.set()
                    gateway.release.wait(20)
                elif gateway.delay:
                    threading.Event().wait(gateway.delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                try:
                    self.wfile.write(b'{"ok": true}' if status < 300 else b'{"error": "busy"}')
                except OSError:
                    pass  # the worker is gone

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _answer(self, key: str, body: dict) -> int:
        with self.lock:
            self.requests.append((key, body))
            script = self.scripts.get(body.get("receipt_code") or "", [])
            status = script.pop(0) if script else 200
            if status < 300 and key not in {k for k, _ in self.delivered}:
                self.delivered.append((key, body))
            return status

    def deliveries(self, receipt_code: str) -> list[dict]:
        return [b for _, b in self.delivered if b.get("receipt_code") == receipt_code]

    def keys(self, receipt_code: str) -> list[str]:
        return [k for k, b in self.requests if b.get("receipt_code") == receipt_code]

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
