"""Delivering the outbox's mail: the message built from a row (in the language its recipient
uses now), sent over one SMTP connection per batch, or written to the development mailbox."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import aiosmtplib
import asyncpg

from pengaduan import db
from pengaduan.mailintake.addressing import reply_address_of
from pengaduan.notifications import mailbox, texts
from pengaduan.notifications.outbox.attempts import fail, give_up, mark_sent, payload_of
from pengaduan.settings import Settings

log = logging.getLogger(__name__)


class _ConnectFailed(Exception):
    """The SMTP server could not be reached (or refused our login)."""


def _mail_domain(settings: Settings) -> str:
    address = email.utils.parseaddr(settings.mail_from)[1]
    domain = address.rpartition("@")[2]
    return domain or urlsplit(settings.base_url).hostname or "localhost"


# Set on every mail we send: the mail intake recognises our own mail come back (a loop).
OWN_HEADER = "X-Pengaduan-Outbox"


def message_id(settings: Settings, outbox_id: int, created_at: datetime) -> str:
    """The Message-ID of outbox row `outbox_id`: the same on every attempt, so a copy sent
    twice (a worker that died after sending, before recording it) is recognisable.

    The creation time is part of it because ids start again from 1 in a new database,
    and mail clients drop messages whose Message-ID they have already seen.
    """
    stamp = int(created_at.timestamp() * 1_000_000)
    return f"<outbox.{outbox_id}.{stamp}@{_mail_domain(settings)}>"


def is_own_message_id(settings: Settings, value: str) -> bool:
    """Whether `value` is a Message-ID this site gave one of its mails (`message_id`)."""
    value = value.strip()
    return value.startswith("<outbox.") and value.endswith(f"@{_mail_domain(settings)}>")


def build_email(
    settings: Settings,
    *,
    outbox_id: int,
    created_at: datetime,
    recipient: str,
    payload: dict[str, Any],
) -> EmailMessage:
    """The multipart/alternative message (plain text first, then HTML) for one outbox row."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Subject"] = payload["subject"]
    # The time the event happened, not of this attempt: a reset mail that was delayed
    # should say when it was asked for.
    message["Date"] = email.utils.format_datetime(created_at.astimezone(UTC))
    message["Message-ID"] = message_id(settings, outbox_id, created_at)
    # RFC 3834: tells vacation responders not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message[OWN_HEADER] = str(outbox_id)
    # Mail about a complaint to its reporter: a reply to it becomes a message on it.
    reply_to = reply_address_of(settings, payload)
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    return message


class _SmtpSession:
    """One SMTP connection for a batch, reopened if the server drops it between messages."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: aiosmtplib.SMTP | None = None

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            timeout=s.smtp_timeout,
            use_tls=s.smtp_security == "tls",
            # "none" means plain: no opportunistic upgrade that could fail on an internal
            # relay's self-signed certificate.
            start_tls=s.smtp_security == "starttls",
        )

    async def send(self, message: EmailMessage, recipient: str) -> None:
        if self.smtp is None or not self.smtp.is_connected:
            self.smtp = self._client()
            try:
                await self.smtp.connect()
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise _ConnectFailed(exc) from exc
        await self.smtp.send_message(
            message,
            sender=email.utils.parseaddr(self.settings.mail_from)[1],
            recipients=[recipient],
        )

    async def close(self) -> None:
        """Say goodbye politely (QUIT)."""
        if self.smtp is not None and self.smtp.is_connected:
            try:
                await self.smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                self.smtp.close()

    def abort(self) -> None:
        """Drop the connection at once: a worker being stopped must not wait for QUIT."""
        if self.smtp is not None:
            self.smtp.close()


SELECT_READERS = """
SELECT id, full_name, language FROM users WHERE id = ANY($1::int[])
"""


async def _readers(rows: Sequence[asyncpg.Record]) -> dict[int, Any]:
    """The recipients of the notification mails among `rows`: their name and language now."""
    ids = set()
    for row in rows:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            ids.add(int(payload_of(row)["render"]["user"]))
    if not ids:
        return {}
    return {r["id"]: r for r in await db.fetch(SELECT_READERS, sorted(ids))}


def _written_now(payload: dict[str, Any], readers: dict[int, Any]) -> dict[str, Any]:
    """A notification mail written now, in the language its recipient uses now (they may have
    switched since it was queued); for an account gone meanwhile, in the language and name
    it was queued for. Notification mails are queued without their bodies (only the
    subject, services.mail_for); older rows carry the text they were queued with, sent as
    it is when the mail cannot be written again."""
    spec = payload.get("render")
    if not isinstance(spec, dict):
        return payload
    reader = readers.get(spec.get("user")) or spec
    language, full_name = reader.get("language"), reader.get("full_name")
    if language is None or full_name is None:
        return payload
    try:
        mail = texts.render_notification_mail(spec, language=language, full_name=full_name)
    except Exception as exc:
        if "text" not in payload:
            # Nothing else to send: the row is given up with the error (the dead list shows
            # it, and an admin can send it again once the template is mended).
            raise ValueError(f"the notification mail cannot be written: {exc!r}") from exc
        # The text queued with it is still a good message: send that rather than none.
        log.exception("outbox: cannot write a notification mail again; sending it as queued")
        return payload
    return {**payload, "subject": mail.subject, "text": mail.text, "html": mail.html}


async def deliver_by_smtp(settings: Settings, rows: Sequence[asyncpg.Record]) -> int:
    """Send `rows` (locked by the caller's transaction); how many were delivered."""
    session = _SmtpSession(settings)
    delivered = 0
    readers = await _readers(rows)
    try:
        for position, row in enumerate(rows):
            try:
                message = build_email(
                    settings,
                    outbox_id=row["id"],
                    created_at=row["created_at"],
                    recipient=row["recipient"],
                    payload=_written_now(payload_of(row), readers),
                )
            except (KeyError, TypeError, ValueError) as exc:
                # A malformed row will never get better: give up on it now.
                await give_up(settings, row, exc)
                continue
            try:
                await session.send(message, row["recipient"])
            except _ConnectFailed as exc:
                # No server, no point trying the rest now: all of them wait for the retry.
                for pending in rows[position:]:
                    await fail(settings, pending, exc.__cause__ or exc)
                break
            except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
                await fail(settings, row, exc)
            else:
                await mark_sent(row)
                delivered += 1
    except BaseException:
        session.abort()
        raise
    await session.close()
    return delivered


async def deliver_to_mailbox(settings: Settings, rows: Sequence[asyncpg.Record]) -> int:
    """Development without an SMTP server: each message becomes a file of the mailbox,
    written as it would be sent."""
    delivered = 0
    readers = await _readers(rows)
    for row in rows:
        try:
            message = build_email(
                settings,
                outbox_id=row["id"],
                created_at=row["created_at"],
                recipient=row["recipient"],
                payload=_written_now(payload_of(row), readers),
            )
        except (KeyError, TypeError, ValueError) as exc:
            # As over SMTP: a malformed row will never get better.
            await fail(settings, row, exc, permanent=True)
            continue
        name = mailbox.file_name(row["id"], row["created_at"])
        await asyncio.to_thread(mailbox.write, settings, name, message)
        await mark_sent(row)
        delivered += 1
    return delivered
