"""A mail server for tests: an aiosmtpd server in its own thread that keeps every message."""

from __future__ import annotations

import asyncio
import email.policy
import threading
import time
import warnings
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from tests.support.net import free_port


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


def written(payload: dict[str, Any]) -> dict[str, Any]:
    """A queued outbox mail's payload as it will be sent: a notification mail is queued with
    its subject and spec only (notifications.services.mail_for) and written when sent; here
    in the language and name it was queued for. Other mails are returned as they are."""
    from pengaduan.notifications import texts

    spec = payload.get("render") or {}
    if "text" in payload or "template" not in spec:
        return payload
    mail = texts.render_notification_mail(
        spec, language=spec["language"], full_name=spec["full_name"]
    )
    return {**payload, "subject": mail.subject, "text": mail.text, "html": mail.html}
