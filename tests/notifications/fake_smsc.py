"""A local HTTP server that speaks SMSC.ru's send.php API, for the `http` SMS backend's tests."""

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import re
import threading
from urllib.parse import parse_qs

LOGIN, PASSWORD = "kabinet", "s3cret"


class FakeSmsc:
    """Accepts messages like the real gateway; `fail_with` makes the next answers errors."""

    def __init__(self):
        self.received: list[dict] = []
        self.fail_with: list[tuple[int, dict | bytes]] = []  # (HTTP status, JSON answer or raw body)
        self.next_id = 1000
        handler = type("Handler", (_Handler,), {"gateway": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sys/send.php"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def answer(self, fields: dict) -> tuple[int, dict | bytes]:
        if self.fail_with:
            return self.fail_with.pop(0)
        if fields.get("login") != LOGIN or fields.get("psw") != PASSWORD:
            return 200, {"error": "authorise error", "error_code": 2}
        if not re.fullmatch(r"7\d{10}", fields.get("phones", "")):
            return 200, {"error": "invalid number", "error_code": 7}
        if not fields.get("mes"):
            return 200, {"error": "parameters error", "error_code": 1}
        self.received.append(fields)
        self.next_id += 1
        return 200, {"id": self.next_id, "cnt": 1}


class _Handler(BaseHTTPRequestHandler):
    gateway: FakeSmsc

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        raw = parse_qs(self.rfile.read(length).decode("utf-8"))
        fields = {key: values[0] for key, values in raw.items()}
        status, body = self.gateway.answer(fields)
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass
