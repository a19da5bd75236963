"""A stand-in for CM.com's messaging gateway: a real HTTP server on loopback
that records what it receives and answers with whatever the test sets."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

PATH = "/v1.0/message"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: dict

    @property
    def msg(self) -> dict:
        return self.body["messages"]["msg"][0]


def accepted(body: dict) -> dict:
    """What CM.com answers when it takes every message."""
    return {
        "details": f"Created {len(body['messages']['msg'])} message(s)",
        "errorCode": 0,
        "messages": [
            {"to": m["to"][0]["number"], "status": "Accepted", "reference": m.get("reference"),
             "parts": 1, "messageDetails": None, "messageErrorCode": 0}
            for m in body["messages"]["msg"]
        ],
    }


class FakeCm:
    """Answers queued with ``then()`` are used once each, in order; after
    that every request gets the ``always()`` answer (by default: accepted)."""

    def __init__(self):
        self.received: list[Received] = []
        self._queued: deque = deque()
        self._default = (200, accepted, 0.0)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}{PATH}"

    def always(self, status: int, body=accepted, delay: float = 0.0) -> None:
        self._default = (status, body, delay)

    def then(self, status: int, body=accepted, delay: float = 0.0) -> None:
        self._queued.append((status, body, delay))

    def per_reference(self) -> Counter:
        with self._lock:
            return Counter(r.msg["reference"] for r in self.received)

    def _answer_for(self, request: Received):
        with self._lock:
            self.received.append(request)
            status, body, delay = self._queued.popleft() if self._queued else self._default
        if callable(body):
            body = body(request.body)
        return status, body, delay

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"unparseable": raw.decode("latin-1")}
                status, answer, delay = fake._answer_for(
                    Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if delay:
                    time.sleep(delay)
                if isinstance(answer, (bytes, str)):
                    payload, ctype = (answer.encode() if isinstance(answer, str) else answer), "text/html"
                else:
                    payload, ctype = json.dumps(answer).encode(), "application/json"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (timeout tests)

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def cm_server():
    server = FakeCm()
    server.start()
    yield server
    server.stop()
