"""The outbox: messages written in the caller's transaction, delivered later by a worker with retries."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import random
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import aiosmtplib
import asyncpg

from pengaduan import db, outages
from pengaduan.db import ENGINE
from pengaduan.notifications.mail import RenderedMail
from pengaduan.notifications.tables import Outbox
from pengaduan.settings import Settings

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "outbox"
BATCH_SIZE = 20
# 15 s, 30 s, 1 min, ... capped at 1 h: twelve attempts keep retrying for about four
# hours, so a mail server that is down for an afternoon delays mail but does not kill it.
MAX_ATTEMPTS = 12
FIRST_RETRY_SECONDS = 15.0
MAX_RETRY_SECONDS = 3600.0
ERROR_TEXT_LIMIT = 300
# While the database is unreachable the worker tries again after 1 s, 2 s, 4 s, ... (up to
# its error wait): soon after the database is back, with one log line for the whole outage.
OUTAGE_FIRST_RETRY = 1.0

SELECT_DUE = """
SELECT id, recipient, payload, attempts, created_at
FROM outbox
WHERE channel = $2 AND sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= now()
ORDER BY next_attempt_at, id
LIMIT $1
FOR UPDATE SKIP LOCKED
"""
SMS_RECIPIENT_PREFIX = "user:"

# clock_timestamp(), not now(): now() is the start of the batch's transaction, which may
# be long past when the last message of a slow batch is handed over.
MARK_SENT = """
UPDATE outbox SET sent_at = clock_timestamp(), attempts = attempts + 1 WHERE id = $1
"""

MARK_FAILED = """
UPDATE outbox
SET attempts = $2,
    last_error = $3,
    next_attempt_at = clock_timestamp() + make_interval(secs => $4::double precision),
    dead_at = CASE WHEN $5::boolean THEN clock_timestamp() END
WHERE id = $1
"""


# --- writing -------------------------------------------------------------------------------


def email_payload(
    mail: RenderedMail, kind: str, render: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An email row's payload (what the worker sends; with `render`, what writes it again)."""
    payload: dict[str, Any] = {
        "subject": mail.subject,
        "text": mail.text,
        "html": mail.html,
        "kind": kind,
    }
    if render:
        payload["render"] = render
    return payload


def sms_recipient(user_id: int) -> str:
    return f"{SMS_RECIPIENT_PREFIX}{user_id}"


def sms_payload(text: str, kind: str, render: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"text": text, "kind": kind, **({"render": render} if render else {})}


async def enqueue_email(
    *, to: str, mail: RenderedMail, kind: str, render: dict[str, Any] | None = None
) -> None:
    """Queue `mail` for `to`. Inside the caller's transaction it is sent only if that
    transaction commits; `kind` (e.g. "confirm_email") is kept for the record. With `render`
    (notifications.texts.mail_spec) the mail is written again when sent, in the language
    its recipient uses then."""
    # Joins the caller's transaction if there is one, else makes the insert and the
    # NOTIFY one unit of their own.
    async with ENGINE.transaction():
        now = datetime.now(UTC)
        await Outbox.insert(
            Outbox(
                channel="email",
                recipient=to,
                payload=email_payload(mail, kind, render),
                attempts=0,
                next_attempt_at=now,
                last_error="",
                created_at=now,
            )
        )
        # PostgreSQL delivers a NOTIFY at commit (and drops it on rollback), so workers
        # wake exactly when the row becomes visible to them.
        await Outbox.raw(f"NOTIFY {NOTIFY_CHANNEL}")


async def enqueue_sms(
    *, user_id: int, text: str, kind: str, render: dict[str, Any] | None = None
) -> None:
    """Queue an SMS for the user. The recipient is `user:<id>`: the phone number is personal
    data kept encrypted in `users`, and is decrypted only when the message is sent. With
    `render` ({kind, number, complaint}) the text is written again when sent, in the
    language the recipient uses then."""
    async with ENGINE.transaction():
        now = datetime.now(UTC)
        await Outbox.insert(
            Outbox(
                channel="sms",
                recipient=sms_recipient(user_id),
                payload=sms_payload(text, kind, render),
                attempts=0,
                next_attempt_at=now,
                last_error="",
                created_at=now,
            )
        )
        await Outbox.raw(f"NOTIFY {NOTIFY_CHANNEL}")


# --- delivering ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    picked: int
    delivered: int


class _ConnectFailed(Exception):
    """The SMTP server could not be reached (or refused our login)."""


def retry_delay(
    attempts: int, first: float = FIRST_RETRY_SECONDS, cap: float = MAX_RETRY_SECONDS
) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: `first`, doubling, at most `cap`."""
    delay = first * 2 ** min(max(attempts - 1, 0), 20)
    # A little jitter keeps messages that failed together from retrying in lockstep.
    return min(delay * random.uniform(0.9, 1.1), cap)


def _mail_domain(settings: Settings) -> str:
    address = email.utils.parseaddr(settings.mail_from)[1]
    domain = address.rpartition("@")[2]
    return domain or urlsplit(settings.base_url).hostname or "localhost"


def message_id(settings: Settings, outbox_id: int, created_at: datetime) -> str:
    """The Message-ID of outbox row `outbox_id`: the same on every attempt, so a copy sent
    twice (a worker that died after sending, before recording it) is recognisable.

    The creation time is part of it because ids start again from 1 in a new database,
    and mail clients drop messages whose Message-ID they have already seen.
    """
    stamp = int(created_at.timestamp() * 1_000_000)
    return f"<outbox.{outbox_id}.{stamp}@{_mail_domain(settings)}>"


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
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    return message


def _short_error(exc: BaseException, settings: Settings) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    for secret in (settings.smtp_password, settings.sms_gateway_token):
        if secret:
            text = text.replace(secret, "***")
    return text[:ERROR_TEXT_LIMIT]


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


async def _fail(
    conn: asyncpg.Connection,
    settings: Settings,
    row: asyncpg.Record,
    exc: BaseException,
    *,
    permanent: bool = False,
) -> None:
    attempts = row["attempts"] + 1
    dead = permanent or attempts >= settings.outbox_max_attempts
    error = _short_error(exc, settings)
    delay = retry_delay(attempts, settings.outbox_retry_seconds, settings.outbox_max_retry_seconds)
    await conn.execute(MARK_FAILED, row["id"], attempts, error, delay, dead)
    if dead:
        log.error("outbox %s: given up after %s attempts: %s", row["id"], attempts, error)
    else:
        log.warning("outbox %s: attempt %s failed: %s", row["id"], attempts, error)


def _payload(row: asyncpg.Record) -> dict[str, Any]:
    payload = row["payload"]
    return json.loads(payload) if isinstance(payload, str) else dict(payload)


SELECT_READERS = """
SELECT id, full_name, language FROM users WHERE id = ANY($1::int[])
"""


async def _readers(conn: asyncpg.Connection, rows: Sequence[asyncpg.Record]) -> dict[int, Any]:
    """The recipients of the notification mails among `rows`: their name and language now."""
    ids = set()
    for row in rows:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            ids.add(int(_payload(row)["render"]["user"]))
    if not ids:
        return {}
    return {r["id"]: r for r in await conn.fetch(SELECT_READERS, sorted(ids))}


def _written_now(payload: dict[str, Any], readers: dict[int, Any]) -> dict[str, Any]:
    """A notification mail written in the language its recipient uses now (they may have
    switched since it was queued); as queued when that cannot be done."""
    from pengaduan.notifications import texts

    spec = payload.get("render")
    reader = readers.get(spec.get("user")) if isinstance(spec, dict) else None
    if reader is None:
        return payload
    try:
        mail = texts.render_notification_mail(
            spec, language=reader["language"], full_name=reader["full_name"]
        )
    except Exception:
        # The text queued with it is still a good message: send that rather than none.
        log.exception("outbox: cannot write a notification mail again; sending it as queued")
        return payload
    return {**payload, "subject": mail.subject, "text": mail.text, "html": mail.html}


async def _deliver_rows(
    conn: asyncpg.Connection, settings: Settings, rows: Sequence[asyncpg.Record]
) -> int:
    session = _SmtpSession(settings)
    delivered = 0
    readers = await _readers(conn, rows)
    try:
        for position, row in enumerate(rows):
            try:
                message = build_email(
                    settings,
                    outbox_id=row["id"],
                    created_at=row["created_at"],
                    recipient=row["recipient"],
                    payload=_written_now(_payload(row), readers),
                )
            except (KeyError, TypeError, ValueError) as exc:
                # A malformed row will never get better: give up on it now.
                await conn.execute(
                    MARK_FAILED,
                    row["id"],
                    row["attempts"] + 1,
                    _short_error(exc, settings),
                    0,
                    True,
                )
                log.error("outbox %s: cannot be built, given up: %s", row["id"], exc)
                continue
            try:
                await session.send(message, row["recipient"])
            except _ConnectFailed as exc:
                # No server, no point trying the rest now: all of them wait for the retry.
                for pending in rows[position:]:
                    await _fail(conn, settings, pending, exc.__cause__ or exc)
                break
            except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
                await _fail(conn, settings, row, exc)
            else:
                await conn.execute(MARK_SENT, row["id"])
                delivered += 1
    except BaseException:
        session.abort()
        raise
    await session.close()
    return delivered


async def _deliver_to_mailbox(
    conn: asyncpg.Connection, settings: Settings, rows: Sequence[asyncpg.Record]
) -> int:
    """Development without an SMTP server: each message becomes a file of the mailbox."""
    from pengaduan.notifications import mailbox

    delivered = 0
    for row in rows:
        try:
            message = build_email(
                settings,
                outbox_id=row["id"],
                created_at=row["created_at"],
                recipient=row["recipient"],
                payload=_payload(row),
            )
        except (KeyError, TypeError, ValueError) as exc:
            # As over SMTP: a malformed row will never get better.
            await _fail(conn, settings, row, exc, permanent=True)
            continue
        name = mailbox.file_name(row["id"], row["created_at"])
        await asyncio.to_thread(mailbox.write, settings, name, message)
        await conn.execute(MARK_SENT, row["id"])
        delivered += 1
    return delivered


SELECT_PHONES = """
SELECT id, phone_encrypted, language FROM users WHERE id = ANY($1::int[]) AND is_active
"""


class _NoPhone(Exception):
    """The user has no phone number (any more), or is no longer active."""


async def _deliver_sms_rows(
    conn: asyncpg.Connection, settings: Settings, rows: Sequence[asyncpg.Record]
) -> int:
    from pengaduan.accounts.personal_data import UndecryptableData, cipher_for
    from pengaduan.notifications.sms import GatewayError, GatewayUnreachable, SmsGateway

    ids = {
        int(r["recipient"].removeprefix(SMS_RECIPIENT_PREFIX))
        for r in rows
        if r["recipient"].removeprefix(SMS_RECIPIENT_PREFIX).isdigit()
    }
    found = await conn.fetch(SELECT_PHONES, list(ids))
    phones = {p["id"]: p["phone_encrypted"] for p in found}
    languages = {p["id"]: p["language"] for p in found}
    cipher = cipher_for(settings)
    gateway = SmsGateway(settings)
    delivered = 0
    try:
        for position, row in enumerate(rows):
            try:
                user_id = int(row["recipient"].removeprefix(SMS_RECIPIENT_PREFIX))
                token = phones.get(user_id)
                phone = cipher.decrypt(token) if token else None
                if not phone:
                    raise _NoPhone("the recipient has no phone number or is not active")
                text = _sms_written_now(_payload(row), languages.get(user_id))
            except (_NoPhone, UndecryptableData, KeyError, TypeError, ValueError) as exc:
                # Will not get better by waiting: give up on it now (an admin may retry).
                await _fail(conn, settings, row, exc, permanent=True)
                log.error("outbox %s: cannot be sent: %s", row["id"], exc)
                continue
            reference = f"outbox-{row['id']}-{int(row['created_at'].timestamp() * 1_000_000)}"
            try:
                await gateway.send(to=phone, text=text, reference=reference)
            except GatewayUnreachable as exc:
                # No gateway, no point trying the rest now: all of them wait for the retry.
                for pending in rows[position:]:
                    await _fail(conn, settings, pending, exc)
                break
            except GatewayError as exc:
                await _fail(conn, settings, row, exc, permanent=exc.permanent)
            else:
                await conn.execute(MARK_SENT, row["id"])
                delivered += 1
    finally:
        await gateway.close()
    return delivered


def _sms_written_now(payload: dict[str, Any], language: str | None) -> str:
    """A notification SMS in the language its recipient uses now; as queued otherwise."""
    from pengaduan.notifications import texts

    spec = payload.get("render")
    if not isinstance(spec, dict) or language is None:
        return payload["text"]
    with texts.in_language(language):
        return texts.sms_text(spec["kind"], spec["number"], spec.get("complaint"))


async def _deliver_channel(settings: Settings, channel: str, limit: int) -> BatchResult:
    # One transaction per channel: a slow gateway does not keep the mail locked, and the
    # rows stay locked (FOR UPDATE SKIP LOCKED) until it ends, so other workers take others.
    async with ENGINE.transaction() as transaction:
        conn = transaction.connection
        rows = await conn.fetch(SELECT_DUE, limit, channel)
        if not rows:
            return BatchResult(picked=0, delivered=0)
        if channel == "sms":
            delivered = await _deliver_sms_rows(conn, settings, rows)
        elif settings.mail_transport == "mailbox":
            delivered = await _deliver_to_mailbox(conn, settings, rows)
        else:
            delivered = await _deliver_rows(conn, settings, rows)
    if delivered:
        log.info("outbox: delivered %s of %s %s message(s)", delivered, len(rows), channel)
    return BatchResult(picked=len(rows), delivered=delivered)


async def deliver_batch(settings: Settings, *, limit: int = BATCH_SIZE) -> BatchResult:
    """Send up to `limit` due emails, then (with a gateway configured) up to `limit` due
    SMS; without a gateway SMS rows are left alone, and so is mail without an SMTP server in
    production (no attempt, no warning: they wait, pending, for one to be configured)."""
    result = BatchResult(picked=0, delivered=0)
    if settings.mail_transport != "none":
        result = await _deliver_channel(settings, "email", limit)
    if settings.sms_enabled:
        sms = await _deliver_channel(settings, "sms", limit)
        result = BatchResult(
            picked=max(result.picked, sms.picked), delivered=result.delivered + sms.delivered
        )
    return result


async def deliver_due(settings: Settings, *, limit: int = BATCH_SIZE) -> int:
    """Send what is due (see `deliver_batch`); return how many were delivered."""
    return (await deliver_batch(settings, limit=limit)).delivered


# --- dead messages: another round -------------------------------------------------------

REVIVE = """
UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = now()
WHERE id = $1 AND dead_at IS NOT NULL AND sent_at IS NULL
RETURNING id, channel, recipient, last_error
"""


async def retry_dead(outbox_id: int, *, admin_id: int, ip: str) -> bool:
    """Give a dead message a new round of attempts (audited); False if it is not dead."""
    if not 0 < outbox_id < 2**31:
        return False
    from pengaduan.audit import services as audit

    async with ENGINE.transaction() as transaction:
        row = await transaction.connection.fetchrow(REVIVE, outbox_id)
        if row is None:
            return False
        await audit.record(
            actor_id=admin_id,
            action="outbox.retry",
            target_type="outbox",
            target_id=outbox_id,
            data={"channel": row["channel"], "last_error": row["last_error"]},
            ip=ip,
        )
        await Outbox.raw(f"NOTIFY {NOTIFY_CHANNEL}")
    return True


# --- the worker ----------------------------------------------------------------------------


class OutboxWorker:
    """Delivers the outbox in a loop until stopped: soon again after a full batch, else
    after `idle_seconds` or as soon as `NOTIFY outbox` says a message was committed."""

    def __init__(
        self,
        settings: Settings,
        *,
        batch_size: int = BATCH_SIZE,
        busy_seconds: float = 1.0,
        idle_seconds: float = 5.0,
        error_seconds: float = 5.0,
        listen: bool = True,
    ) -> None:
        self.settings = settings
        self.batch_size = batch_size
        self.busy_seconds = busy_seconds
        self.idle_seconds = idle_seconds
        self.error_seconds = error_seconds
        self.listen = listen
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._listener_broken = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> asyncio.Task[None]:
        """Run the loop as a background task of the running event loop."""
        if self.running:
            raise RuntimeError("the outbox worker is already running")
        self._stopping.clear()
        self._task = asyncio.create_task(self.run(), name="outbox-worker")
        return self._task

    def request_stop(self) -> None:
        """Ask the loop to end after the message being sent (safe from a signal handler)."""
        self._stopping.set()
        self._wake.set()

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop the loop: let the batch in hand finish for `grace_seconds`, then cancel it
        (its transaction rolls back and its messages are sent again later)."""
        self.request_stop()
        task, self._task = self._task, None
        if task is None:
            return
        await asyncio.wait({task}, timeout=grace_seconds)
        if not task.done():
            task.cancel()
            # asyncio.wait, not `await task`: a cancelled stop() must not be swallowed.
            await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox: the worker ended with an error", exc_info=task.exception())

    async def run(self) -> None:
        """The loop itself; returns once stopping was requested."""
        unreachable = 0  # rounds in a row that found the database away
        if self.settings.mail_transport == "none":
            # Said once here, not per message: the admins' outbox shows what is waiting.
            log.info("outbox: no SMTP server configured; mail stays pending in the outbox")
        try:
            while not self._stopping.is_set():
                await self._listen()
                # Cleared before the batch: a NOTIFY arriving during it means another round.
                self._wake.clear()
                try:
                    result = await deliver_batch(self.settings, limit=self.batch_size)
                except Exception as exc:
                    # A database or network blip must not end delivery for good.
                    if outages.is_outage(exc):
                        # Logged once per outage (outages); retried sooner at first.
                        outages.note_outage(exc, "the outbox worker")
                        delay = min(OUTAGE_FIRST_RETRY * 2**unreachable, self.error_seconds)
                        unreachable += 1
                    else:
                        log.exception("outbox: delivery round failed")
                        delay = self.error_seconds
                else:
                    unreachable = 0
                    delay = (
                        self.busy_seconds if result.picked >= self.batch_size else self.idle_seconds
                    )
                await self._sleep(delay)
        finally:
            await self._close_listener()

    async def _sleep(self, seconds: float) -> None:
        if self._stopping.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

    async def _listen(self) -> None:
        """Keep a dedicated connection LISTENing (a pooled one would hand it to others)."""
        if not self.listen or (self._listener is not None and not self._listener.is_closed()):
            return
        self._listener = None
        try:
            conn = await asyncpg.connect(**{**ENGINE.config, "timeout": 10})
            try:
                await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
            except BaseException:
                await conn.close()
                raise
        except Exception as exc:
            # Polling still delivers; only the early wake-up is lost until it reconnects.
            if outages.is_outage(exc):
                outages.note_outage(exc, "the outbox worker")
            elif not self._listener_broken:
                log.warning(
                    "outbox: cannot LISTEN (%s); polling only", _short_error(exc, self.settings)
                )
            self._listener_broken = True
            return
        self._listener = conn
        self._listener_broken = False

    async def _close_listener(self) -> None:
        conn, self._listener = self._listener, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=5)


async def run_worker(settings: Settings) -> None:
    """Deliver the outbox and run the scheduled jobs until SIGINT or SIGTERM (`pengaduan
    worker`); the engine must already point at the database. A second signal stops without
    waiting for the batch."""
    from pengaduan.scheduler import Scheduler  # it sends mail through this module

    await db.open_pool(settings)
    worker = OutboxWorker(settings)
    task = worker.start()
    scheduler = Scheduler()
    scheduler.start()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if worker.stopping:
            task.cancel()
        worker.request_stop()

    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, on_signal)
    try:
        await asyncio.wait({task})
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        await scheduler.stop()
        await worker.stop()
        await outages.stop_probe()
        await db.close_pool()
