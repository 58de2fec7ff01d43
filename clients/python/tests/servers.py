"""Local HTTP servers of the tests (127.0.0.1, a free port, stopped by the test): a static file server for the
dataset's images, and a webhook receiver that checks every POST with sluice.verify_signature."""
import functools
import http.server
import json
import threading
from typing import List, Optional

import sluice


class _Server:
    def __init__(self, handler):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class StaticFiles(_Server):
    def __init__(self, directory):
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        super().__init__(functools.partial(Quiet, directory=str(directory)))


class WebhookReceiver(_Server):
    """Answers 204 to a POST whose signature verifies and 401 otherwise (as the reference receiver does)."""

    def __init__(self):
        self.secret: Optional[str] = None
        self.received: List[dict] = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ok = receiver.secret is not None and sluice.verify_signature(receiver.secret, self.headers, raw)
                self.send_response(204 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.changed:
                    receiver.received.append({"verified": ok, "body": json.loads(raw.decode("utf-8")),
                                              "request_id": self.headers.get("Datature-Webhook-Request-ID")})
                    receiver.changed.notify_all()

            def log_message(self, *args):
                pass

        super().__init__(Handler)

    def wait_for(self, predicate, timeout: float = 120.0) -> bool:
        """Waits until predicate(received) holds (a guard, not a timing: the test fails if it never does)."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self.received), timeout)
