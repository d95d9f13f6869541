"""The outbox against real PostgreSQL and a real SMTP server: nothing lost, nothing sent twice."""

from __future__ import annotations

import asyncio
import html
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime

import asyncpg
import pytest

from pengaduan import db, i18n
from pengaduan.app import create_app
from pengaduan.db import ENGINE
from pengaduan.notifications import outbox
from pengaduan.notifications.mail import RenderedMail, render_mail
from pengaduan.notifications.outbox import attempts, email_delivery
from pengaduan.notifications.outbox import worker as outbox_worker
from pengaduan.settings import Settings
from tests.conftest import running
from tests.integration.outbox_helpers import make_due, quiet_session_app  # noqa: F401
from tests.support.databases import settings_for
from tests.support.mail import SmtpSink
from tests.support.net import free_port
from tests.support.waiting import wait_until_async

MAIL = RenderedMail(subject="Halo", text="Teks biasa\n", html="<p>Teks <b>HTML</b></p>")


@pytest.fixture
def mail_settings(db_dsn: str, smtp_sink: SmtpSink) -> Settings:
    return settings_for(db_dsn, **smtp_sink.settings_env())


async def _rows(dsn: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch("SELECT * FROM outbox ORDER BY id")
    finally:
        await conn.close()


async def _enqueue_many(count: int, prefix: str = "warga") -> list[str]:
    recipients = [f"{prefix}{n}@example.test" for n in range(count)]
    async with ENGINE.transaction():
        for to in recipients:
            await outbox.enqueue_email(to=to, mail=MAIL, kind="test")
    return recipients


# --- transactions ----------------------------------------------------------------------------


async def test_message_of_a_rolled_back_transaction_is_never_sent(
    db_dsn: str, mail_settings: Settings, smtp_sink: SmtpSink
) -> None:
    class Abandon(Exception):
        pass

    with pytest.raises(Abandon):
        async with ENGINE.transaction():
            await outbox.enqueue_email(to="budi@example.test", mail=MAIL, kind="test")
            raise Abandon

    assert await outbox_worker.deliver_due(mail_settings) == 0
    assert await _rows(db_dsn) == []
    # No wait for stragglers: the sink records a message before it answers 250, so whatever
    # deliver_due sent had arrived when it returned.
    assert smtp_sink.messages == []


async def test_committed_message_arrives_with_text_and_html(
    db_dsn: str, mail_settings: Settings, smtp_sink: SmtpSink
) -> None:
    mail = render_mail(
        "confirm_email",
        {
            "full_name": "Budi Santoso",
            "link": "https://pengaduan.test/k?t=1&u=2",
            "expires_hours": 24,
        },
        "en",
    )
    async with ENGINE.transaction():
        await outbox.enqueue_email(to="budi@example.test", mail=mail, kind="confirm_email")

    assert await outbox_worker.deliver_due(mail_settings) == 1

    [received] = await smtp_sink.wait_for_async(1)
    assert received.recipients == ("budi@example.test",)
    assert received.mail_from == "no-reply@localhost"
    message = received.message
    assert message["Subject"] == "Confirm your email address for Pengaduan"
    assert message["To"] == "budi@example.test"
    assert message["From"] == mail_settings.mail_from
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    assert text is not None and rich is not None
    assert "https://pengaduan.test/k?t=1&u=2" in text.get_content()
    assert html.escape("https://pengaduan.test/k?t=1&u=2") in rich.get_content()

    [row] = await _rows(db_dsn)
    assert row["sent_at"] is not None and row["attempts"] == 1 and row["dead_at"] is None
    assert message["Message-ID"] == email_delivery.message_id(
        mail_settings, row["id"], row["created_at"]
    )
    assert message["Date"] is not None
    # Delivered means done: another round sends nothing.
    assert await outbox_worker.deliver_due(mail_settings) == 0
    # No wait for stragglers: the sink records a message before it answers 250, so whatever
    # deliver_due sent had arrived when it returned.
    assert len(smtp_sink.messages) == 1


# --- notification mails: written when sent -----------------------------------------------------


def _reader(user_id: int) -> dict:
    return {
        "id": user_id,
        "email": "budi@example.test",
        "email_confirmed_at": datetime.now(UTC),
        "language": "en",
        "full_name": "Budi Santoso",
    }


async def test_a_notification_mail_is_queued_without_its_bodies_and_written_when_sent(
    db_dsn: str, mail_settings: Settings, smtp_sink: SmtpSink
) -> None:
    """The request queues the subject and what writes the mail; the worker writes it, here
    for an account that is gone by then: in the language and name it was queued for."""
    from pengaduan.notifications import services

    note = {"kind": "reply", "params": {"number": "ADU-2026-000007", "text": "Oke."}}
    async with ENGINE.transaction():
        await services.mail(
            _reader(424242),  # no such account any more when it is sent
            "notification",
            {"link": "/pengaduan/7", "settings_link": "/notifikasi/pengaturan"},
            "notification_reply",
            notification=note,
            settings=mail_settings,
        )
    [row] = await _rows(db_dsn)
    queued = json.loads(row["payload"])
    assert queued["subject"] == "New reply on your complaint ADU-2026-000007"
    assert "text" not in queued and "html" not in queued

    assert await outbox_worker.deliver_due(mail_settings) == 1
    [received] = await smtp_sink.wait_for_async(1)
    message = received.message
    assert message["Subject"] == "New reply on your complaint ADU-2026-000007"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Budi Santoso," in text and "Oke." in text
    assert "Oke." in message.get_body(preferencelist=("html",)).get_content()


async def test_a_notification_mail_that_cannot_be_written_is_given_up_alone(
    db_dsn: str, mail_settings: Settings, smtp_sink: SmtpSink
) -> None:
    """A mail whose template cannot be written has nothing else to send: it goes to the dead
    list with the reason, and the mails beside it in the batch are sent."""
    spec = {"user": 1, "template": "no_such_mail", "context": {}, "notification": None}
    async with ENGINE.transaction():
        await outbox.enqueue_notification_email(
            to="rusak@example.test",
            subject="Rusak",
            kind="notification_reply",
            render={**spec, "language": "id", "full_name": "Budi"},
        )
        await outbox.enqueue_email(to="budi@example.test", mail=MAIL, kind="test")
    assert await outbox_worker.deliver_due(mail_settings) == 1
    [received] = await smtp_sink.wait_for_async(1)
    assert received.recipients == ("budi@example.test",)
    broken, sent = await _rows(db_dsn)
    assert broken["dead_at"] is not None and broken["sent_at"] is None
    assert "cannot be written" in broken["last_error"]
    assert sent["sent_at"] is not None


# --- failures and retries --------------------------------------------------------------------


async def test_server_down_delays_mail_and_loses_none(db_dsn: str) -> None:
    port = free_port()  # nothing listens here until the sink starts below
    settings = settings_for(db_dsn, PENGADUAN_SMTP_HOST="127.0.0.1", PENGADUAN_SMTP_PORT=str(port))
    recipients = await _enqueue_many(3)

    assert await outbox_worker.deliver_due(settings) == 0
    first = await _rows(db_dsn)
    assert [r["attempts"] for r in first] == [1, 1, 1]
    assert all(r["sent_at"] is None and r["dead_at"] is None for r in first)
    assert all("connect" in r["last_error"].lower() for r in first)
    now = datetime.now(UTC)
    assert all(10 < (r["next_attempt_at"] - now).total_seconds() < 20 for r in first)

    # Not due yet: nothing is tried.
    assert await outbox_worker.deliver_due(settings) == 0
    assert [r["attempts"] for r in await _rows(db_dsn)] == [1, 1, 1]

    await make_due(db_dsn)
    assert await outbox_worker.deliver_due(settings) == 0
    second = await _rows(db_dsn)
    assert [r["attempts"] for r in second] == [2, 2, 2]
    now = datetime.now(UTC)
    assert all(25 < (r["next_attempt_at"] - now).total_seconds() < 35 for r in second)

    sink = SmtpSink(port).start()
    try:
        await make_due(db_dsn)
        assert await outbox_worker.deliver_due(settings) == 3
        received = await sink.wait_for_async(3)
        await make_due(db_dsn)
        assert await outbox_worker.deliver_due(settings) == 0
        # No wait for stragglers: the sink records a message before it answers 250, so whatever
        # deliver_due sent had arrived when it returned.
        assert len(sink.messages) == 3
        assert sorted(r for m in received for r in m.recipients) == sorted(recipients)
        assert all(r["sent_at"] is not None for r in await _rows(db_dsn))
    finally:
        sink.stop()


async def test_message_is_dead_after_max_attempts_and_no_longer_tried(db_dsn: str) -> None:
    settings = settings_for(
        db_dsn, PENGADUAN_SMTP_HOST="127.0.0.1", PENGADUAN_SMTP_PORT=str(free_port())
    )
    await _enqueue_many(1)
    for _ in range(attempts.MAX_ATTEMPTS):
        await make_due(db_dsn)
        assert await outbox_worker.deliver_due(settings) == 0
    [row] = await _rows(db_dsn)
    assert row["attempts"] == attempts.MAX_ATTEMPTS
    assert row["dead_at"] is not None and row["sent_at"] is None
    assert row["last_error"]

    await make_due(db_dsn)
    assert await outbox_worker.deliver_due(settings) == 0
    [again] = await _rows(db_dsn)
    assert again["attempts"] == attempts.MAX_ATTEMPTS and again["dead_at"] == row["dead_at"]


def test_retry_delay_doubles_and_is_capped() -> None:
    delays = [attempts.retry_delay(n) for n in range(1, 15)]
    assert 13 <= delays[0] <= 17 and 27 <= delays[1] <= 33 and 54 <= delays[2] <= 66
    assert max(delays) <= attempts.MAX_RETRY_SECONDS
    assert delays[-1] >= attempts.MAX_RETRY_SECONDS * 0.9


async def test_login_when_a_username_is_set_and_no_secret_in_errors(db_dsn: str) -> None:
    with SmtpSink(credentials=("pengaduan", "rahasia-sekali")) as sink:
        wrong = settings_for(
            db_dsn,
            **sink.settings_env(),
            PENGADUAN_SMTP_USERNAME="pengaduan",
            PENGADUAN_SMTP_PASSWORD="salah-total",
        )
        await _enqueue_many(1)
        assert await outbox_worker.deliver_due(wrong) == 0
        [row] = await _rows(db_dsn)
        assert row["attempts"] == 1 and "salah-total" not in row["last_error"]
        assert "auth" in row["last_error"].lower()

        right = settings_for(
            db_dsn,
            **sink.settings_env(),
            PENGADUAN_SMTP_USERNAME="pengaduan",
            PENGADUAN_SMTP_PASSWORD="rahasia-sekali",
        )
        await make_due(db_dsn)
        assert await outbox_worker.deliver_due(right) == 1
        await sink.wait_for_async(1)


async def test_sms_rows_are_left_alone(
    db_dsn: str, mail_settings: Settings, smtp_sink: SmtpSink
) -> None:
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute(
            "INSERT INTO outbox (channel, recipient, payload, attempts, next_attempt_at, "
            "last_error, created_at) VALUES ('sms', '+628123456789', '{\"text\": \"Halo\"}', "
            "0, now() - interval '1 minute', '', now())"
        )
    finally:
        await conn.close()
    await _enqueue_many(1)

    assert await outbox_worker.deliver_due(mail_settings) == 1
    rows = {r["channel"]: r for r in await _rows(db_dsn)}
    assert rows["email"]["sent_at"] is not None
    sms = rows["sms"]
    assert sms["attempts"] == 0 and sms["sent_at"] is None and sms["dead_at"] is None
    assert sms["last_error"] == ""


# --- concurrency -----------------------------------------------------------------------------


async def test_two_workers_send_each_message_exactly_once(
    db_dsn: str, mail_settings: Settings, smtp_sink: SmtpSink
) -> None:
    await _enqueue_many(60)

    async def remaining() -> int:
        conn = await asyncpg.connect(db_dsn)
        try:
            return await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        finally:
            await conn.close()

    async def worker() -> int:
        # Each round is its own transaction on its own pooled connection.
        delivered = 0
        while await remaining():
            delivered += await outbox_worker.deliver_due(mail_settings, limit=4)
            await asyncio.sleep(0)
        return delivered

    first, second = await asyncio.wait_for(asyncio.gather(worker(), worker()), timeout=60)
    assert first + second == 60
    assert first > 0 and second > 0  # both really worked, side by side

    received = await smtp_sink.wait_for_async(60)
    # Both workers have returned: a duplicate would have arrived before their deliver_due did.
    received = smtp_sink.messages
    ids = [m.message["Message-ID"] for m in received]
    assert len(ids) == 60 and len(set(ids)) == 60
    rows = await _rows(db_dsn)
    assert set(ids) == {
        email_delivery.message_id(mail_settings, r["id"], r["created_at"]) for r in rows
    }
    assert all(r["attempts"] == 1 for r in rows)


# --- the worker ------------------------------------------------------------------------------


async def listening() -> bool:
    """A connection to this database has LISTENed to the outbox channel (the worker's own,
    outside the pool): a NOTIFY from now on wakes the worker."""
    return bool(
        await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND query LIKE 'LISTEN %' AND query LIKE '%' || $1 || '%'",
            outbox.NOTIFY_CHANNEL,
        )
    )


async def test_worker_wakes_on_notify_and_stops_promptly(
    mail_settings: Settings, smtp_sink: SmtpSink
) -> None:
    # A minute between polls: only the NOTIFY can make it deliver within seconds.
    worker = outbox_worker.OutboxWorker(mail_settings, idle_seconds=60, busy_seconds=60)
    worker.start()
    try:
        await wait_until_async(listening, "the worker LISTENing")
        started = time.monotonic()
        await _enqueue_many(1, prefix="segera")
        await smtp_sink.wait_for_async(1, to="segera0@example.test", timeout=5)
        assert time.monotonic() - started < 5
    finally:
        started = time.monotonic()
        await worker.stop()
        assert time.monotonic() - started < 2
    assert not worker.running


async def test_stopping_does_not_wait_for_a_hanging_mail_server(db_dsn: str) -> None:
    """A server that accepts and never greets holds a batch for the SMTP timeout (30 s);
    stop() gives up after its grace period and the batch's rows are simply due again."""
    connected = asyncio.Event()

    async def never_greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.set()
        await reader.read()  # until the client goes away
        writer.close()

    server = await asyncio.start_server(never_greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = settings_for(db_dsn, PENGADUAN_SMTP_HOST="127.0.0.1", PENGADUAN_SMTP_PORT=str(port))
    await _enqueue_many(1)
    worker = outbox_worker.OutboxWorker(settings, idle_seconds=60, listen=False)
    try:
        worker.start()
        await asyncio.wait_for(connected.wait(), timeout=5)
        started = time.monotonic()
        await worker.stop(grace_seconds=0.3)
        assert time.monotonic() - started < 2
    finally:
        server.close()
        await server.wait_closed()
    [row] = await _rows(db_dsn)
    assert row["attempts"] == 0 and row["sent_at"] is None and row["dead_at"] is None


async def test_worker_outlives_a_failing_round(db_dsn: str, smtp_sink: SmtpSink) -> None:
    """A round that fails as a whole (here: the database refuses the engine's address) is
    logged, and the loop carries on delivering once the database is back."""
    settings = settings_for(db_dsn, **smtp_sink.settings_env())
    pool, config = ENGINE.pool, ENGINE.config
    worker = outbox_worker.OutboxWorker(settings, idle_seconds=0.2, error_seconds=0.2, listen=False)
    ENGINE.pool = None
    ENGINE.config = {"dsn": db.with_database(db_dsn, "no_such_database")}
    try:
        worker.start()
        await asyncio.sleep(0.6)
        assert worker.running
    finally:
        ENGINE.pool, ENGINE.config = pool, config
    try:
        await _enqueue_many(1, prefix="kembali")
        await smtp_sink.wait_for_async(1, to="kembali0@example.test", timeout=5)
    finally:
        await worker.stop()


async def test_app_lifespan_runs_the_in_app_worker(db_dsn: str, smtp_sink: SmtpSink) -> None:
    application = create_app(settings_for(db_dsn, **smtp_sink.settings_env()))
    # The lifespan opens and closes the engine's one pool; the session app's pool is set
    # aside meanwhile so that it survives this second app.
    session_pool = ENGINE.pool
    ENGINE.pool = None
    try:
        async with running(application):
            assert application.state.outbox_worker is not None
            assert application.state.outbox_worker.running
            await _enqueue_many(1, prefix="lifespan")
            await smtp_sink.wait_for_async(1, to="lifespan0@example.test", timeout=10)
    finally:
        ENGINE.pool = session_pool
    assert not application.state.outbox_worker.running


async def test_worker_command_delivers_and_stops_on_sigterm(
    db_dsn: str, smtp_sink: SmtpSink
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PENGADUAN_")}
    env.update(
        DATABASE_URL=db_dsn,
        PENGADUAN_DATA_DIR=os.environ.get("PENGADUAN_DATA_DIR", "var/test"),
        PENGADUAN_BCRYPT_ROUNDS="4",
        **smtp_sink.settings_env(),
    )
    await _enqueue_many(1, prefix="cli")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pengaduan.cli",
        "worker",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        [received] = await smtp_sink.wait_for_async(1, to="cli0@example.test", timeout=30)
        assert received.message["Subject"] == MAIL.subject
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=20)
    assert proc.returncode == 0, output.decode()
    assert "Delivering the outbox" in output.decode()


# --- rendering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "context", "subject", "phrases"),
    [
        (
            "confirm_email",
            {
                "full_name": "Siti <Aminah>",
                "link": "https://p.test/konfirmasi?t=a&b",
                "expires_hours": 24,
            },
            "Confirm your email address for Pengaduan",
            ["Hello Siti <Aminah>,", "The link works for 24 hours.", "If you did not register"],
        ),
        (
            "password_reset",
            {
                "full_name": "Siti <Aminah>",
                "link": "https://p.test/sandi?t=a&b",
                "expires_minutes": 1,
            },
            "Reset your Pengaduan password",
            [
                "Hello Siti <Aminah>,",
                "The link works once and for 1 minute.",
                "Your password stays",
            ],
        ),
    ],
)
def test_account_mails_render_in_english(
    name: str, context: dict, subject: str, phrases: list[str]
) -> None:
    i18n.set_locale("id")
    mail = render_mail(name, context, "en")
    assert i18n.get_locale() == "id"  # the caller's locale is back
    assert mail.subject == subject
    assert "\n" not in mail.subject
    for phrase in phrases:
        assert phrase in mail.text
        assert html.escape(phrase) in mail.html
    # The plain text is not HTML-escaped; the HTML is.
    assert context["link"] in mail.text and "&lt;" not in mail.text
    assert f'href="{html.escape(context["link"])}"' in mail.html
    assert "<Aminah>" not in mail.html
    assert '<html lang="en">' in mail.html
    assert "<img" not in mail.html and "<link" not in mail.html and "<style" not in mail.html


@pytest.mark.parametrize("name", ["confirm_email", "password_reset"])
def test_account_mails_render_in_indonesian(name: str) -> None:
    context = {
        "full_name": "Siti",
        "link": "https://p.test/x",
        "expires_hours": 2,
        "expires_minutes": 30,
    }
    mail = render_mail(name, context, "id")
    english = render_mail(name, context, "en")
    assert mail.subject and "https://p.test/x" in mail.text and "https://p.test/x" in mail.html
    assert '<html lang="id">' in mail.html
    # The catalog translates these mails: nothing of the English wording is left.
    assert mail.subject != english.subject
    assert "Hello" not in mail.text and "Hello" not in mail.html
