"""An SMS gateway for tests: JSON over HTTP in its own thread, keeping every message."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from tests.support.net import free_port, start_serving, stop_serving


@dataclass(frozen=True)
class ReceivedSms:
    """One request as the gateway saw it: the JSON body and the headers (lower-case names)."""

    body: dict[str, Any]
    headers: dict[str, str]


class GatewaySink:
    """A JSON-over-HTTP SMS gateway on 127.0.0.1 (http.server in its own thread) that keeps
    every message it accepts. Like SmtpSink it can stop and start again on the same port; its
    answer can be set (`status`) to play a gateway that refuses."""

    def __init__(self, port: int | None = None, *, token: str = "gateway-token") -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.token = token
        self.status = 202
        self._received: list[ReceivedSms] = []
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/send"

    def settings_env(self) -> dict[str, str]:
        return {
            "PENGADUAN_SMS_GATEWAY_URL": self.url,
            "PENGADUAN_SMS_GATEWAY_TOKEN": self.token,
            "PENGADUAN_SMS_GATEWAY_TIMEOUT": "5",
            # No PENGADUAN_SMS_SENDER: the sender the gateway gets is the default one.
        }

    def start(self) -> GatewaySink:
        from http.server import BaseHTTPRequestHandler

        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                if headers.get("authorization") != f"Bearer {sink.token}":
                    status = 401
                else:
                    status = sink.status
                    if 200 <= status < 300:
                        with sink._lock:
                            sink._received.append(ReceivedSms(json.loads(raw), headers))
                body = b'{"ok": true}' if status < 300 else b'{"error": "refused"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        if self._server is not None:
            raise RuntimeError("the gateway sink is already running")

        self._server, self._thread = start_serving(Handler, self.host, self.port)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            stop_serving(self._server, self._thread)
        self._server = self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def messages(self) -> list[ReceivedSms]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
