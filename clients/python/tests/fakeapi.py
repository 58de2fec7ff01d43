"""A tiny scripted HTTP server on 127.0.0.1 (a free port): each request gets the next scripted answer, and every
request (method, path, headers, body) is recorded. Used where the real API cannot be made to fail on purpose."""
import http.server
import json
import threading
from typing import Dict, List, Optional, Tuple

Answer = Tuple[int, Dict[str, str], Optional[bytes]]


class FakeApi:
    def __init__(self, answers: List[Answer]):
        self.answers = list(answers)
        self.requests: List[dict] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append({"method": self.command, "path": self.path,
                                      "headers": dict(self.headers.items()), "body": body})
                status, headers, payload = fake.answers.pop(0) if fake.answers else (500, {}, b"no more answers")
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                payload = payload or b""
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def js(status: int, body, headers: Optional[Dict[str, str]] = None) -> Answer:
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return status, h, json.dumps(body).encode()
