"""Support for the test suites (tests/ and e2e/): test databases and their cleaning."""

from __future__ import annotations

import asyncio
import email.policy
import json
import os
import socket
import threading
import time
import warnings
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import asyncpg

from pengaduan import db
from pengaduan.settings import Settings, load_settings

APP_TABLES_SQL = """
SELECT string_agg(format('%I', tablename), ', ')
FROM pg_tables
WHERE schemaname = 'public' AND tablename NOT IN ('migration', 'queue_versions')
"""


async def recreate_database(server_dsn: str, name: str) -> str:
    """Drop and create database `name` on the server; return its address."""
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return db.with_database(server_dsn, name)


async def drop_database(server_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def truncate_all(dsn: str) -> None:
    """Empty every application table (the migration ledger stays).

    The queue versions stay too, and all grow by one: a server that keeps running across
    tests (e2e) must not take the next test's pages (same ids again) for ones it cached."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetchval(APP_TABLES_SQL)
        if tables:
            # A server left running (e2e) may still be writing (its outbox worker, a page's
            # last request): TRUNCATE locks table after table and can deadlock with it. The
            # server's side is the one to wait: try again.
            for attempt in range(5):
                try:
                    await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
                    break
                except asyncpg.DeadlockDetectedError:
                    if attempt == 4:
                        raise
            await conn.execute("UPDATE queue_versions SET version = version + 1")
    finally:
        await conn.close()


def settings_for(dsn: str, **overrides: str) -> Settings:
    """Development settings pointed at `dsn`, with the test run's data folder and cost."""
    env = {
        "PENGADUAN_MODE": "development",
        "PENGADUAN_DATA_DIR": os.environ.get("PENGADUAN_DATA_DIR", "var/test"),
        "PENGADUAN_BCRYPT_ROUNDS": os.environ.get("PENGADUAN_BCRYPT_ROUNDS", "4"),
        "DATABASE_URL": dsn,
    }
    env.update(overrides)
    return load_settings(env)


# --- a mail server that keeps what it receives -----------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the SMTP server saw it: the parsed message and its envelope."""

    message: EmailMessage
    mail_from: str
    recipients: tuple[str, ...]


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=email.policy.default).parsebytes(raw)
        self.sink._add(
            ReceivedMail(
                message=message,
                mail_from=envelope.mail_from,
                recipients=tuple(envelope.rcpt_tos),
            )
        )
        return "250 OK"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 (in its own thread) that keeps every message.

    It can be stopped and started again on the same port, to play a mail server that is
    down for a while. With `credentials` it requires that login (over plain SMTP).
    """

    def __init__(
        self, port: int | None = None, *, credentials: tuple[str, str] | None = None
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.credentials = credentials
        self._received: list[ReceivedMail] = []
        self._arrived = threading.Condition()
        self._controller: Any = None

    # -- lifetime

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        if self._controller is not None:
            raise RuntimeError("the SMTP sink is already running")
        options: dict[str, Any] = {}
        if self.credentials is not None:
            # Plain-text AUTH is what this stand-in is for; aiosmtpd warns on each connection.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            options.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        # A fixed server name: the default looks up the machine's FQDN, slowly on some hosts.
        controller = Controller(
            _SinkHandler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="sink.test",
            ready_timeout=10,
            **options,
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def settings_env(self) -> dict[str, str]:
        """The settings that point the app at this server (for `settings_for(**...)`)."""
        return {"PENGADUAN_SMTP_HOST": self.host, "PENGADUAN_SMTP_PORT": str(self.port)}

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        expected = self.credentials
        ok = (
            expected is not None
            and isinstance(auth_data, LoginPassword)
            and (auth_data.login.decode(), auth_data.password.decode()) == expected
        )
        return AuthResult(success=ok, handled=False)

    # -- what arrived

    def _add(self, mail: ReceivedMail) -> None:
        with self._arrived:
            self._received.append(mail)
            self._arrived.notify_all()

    @property
    def messages(self) -> list[ReceivedMail]:
        """A copy of everything received so far, oldest first."""
        with self._arrived:
            return list(self._received)

    def clear(self) -> None:
        with self._arrived:
            self._received.clear()

    def _matching(self, to: str | None) -> list[ReceivedMail]:
        if to is None:
            return list(self._received)
        return [m for m in self._received if to in m.recipients]

    def wait_for(
        self, count: int = 1, *, to: str | None = None, timeout: float = 10.0
    ) -> list[ReceivedMail]:
        """Block until `count` messages (to `to`, if given) arrived; return them.

        Blocks the calling thread: from async code use `wait_for_async`.
        """
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._matching(to)) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} message(s){f' to {to}' if to else ''} within "
                    f"{timeout} s, got {len(self._matching(to))}"
                )
            return self._matching(to)

    # Same call as wait_for (a timeout argument, not asyncio.timeout): its error says what came.
    async def wait_for_async(
        self,
        count: int = 1,
        *,
        to: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[ReceivedMail]:
        """`wait_for` without blocking the event loop (which may be the one sending)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._arrived:
                found = self._matching(to)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"expected {count} message(s){f' to {to}' if to else ''} within "
                    f"{timeout} s, got {len(found)}"
                )
            await asyncio.sleep(0.02)


# --- an SMS gateway that keeps what it receives ----------------------------------------------


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
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True  # started again on the same port after a stop
            daemon_threads = True

        self._server = Server((self.host, self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

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


def black_png(width: int, height: int) -> bytes:
    """A PNG of that many black RGB pixels, written row by row: a few hundred KB for a
    7000×7000 image whose pixels would take 196 MB in Pillow (the decompression-bomb shape
    that evidence must withstand). Nothing its size is ever in this process's memory."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\0" * (1 + 3 * width)  # filter byte, then RGB
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
