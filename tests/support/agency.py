"""An outside agency for hand-over tests: an HTTP server in its own thread (stdlib
http.server) that checks each document's signature with the shared secret, as a real agency
would, and keeps what it accepted by idempotency key. It can stop and start again on the same
port (down for a while), and answer with another status (`status`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from typing import Any

from tests.support.net import free_port, start_serving, stop_serving


@dataclass(frozen=True)
class Received:
    key: str
    document: dict[str, Any]
    headers: dict[str, str]


class AgencySink:
    def __init__(self, secret: str = "", port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.secret = secret
        self.status = 200
        self.bad_signatures = 0
        self.attempts: list[str] = []  # the idempotency key of every signed request
        self._accepted: dict[str, list[Received]] = {}
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/terima"

    def _signature_ok(self, headers: dict[str, str], raw: bytes) -> bool:
        timestamp = headers.get("x-pengaduan-timestamp", "")
        expected = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(f"sha256={expected}", headers.get("x-pengaduan-signature", ""))

    def start(self) -> AgencySink:
        from http.server import BaseHTTPRequestHandler

        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                key = headers.get("idempotency-key", "")
                with sink._lock:
                    if not sink._signature_ok(headers, raw):
                        sink.bad_signatures += 1
                        status = 401
                    else:
                        sink.attempts.append(key)
                        status = sink.status
                        # A real agency drops a copy it already has (same key) and says OK.
                        if 200 <= status < 300 and key not in sink._accepted:
                            sink._accepted[key] = [Received(key, json.loads(raw), headers)]
                        elif 200 <= status < 300:
                            sink._accepted[key].append(Received(key, json.loads(raw), headers))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server, self._thread = start_serving(Handler, self.host, self.port)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            stop_serving(self._server, self._thread)
        self._server = self._thread = None

    @property
    def accepted(self) -> dict[str, list[Received]]:
        """Idempotency key → every copy accepted with it (one, when nothing was sent twice)."""
        with self._lock:
            return {k: list(v) for k, v in self._accepted.items()}

    def documents(self) -> list[dict[str, Any]]:
        return [copies[0].document for copies in self.accepted.values()]
