"""Polling a hosted mailbox: a real IMAP server (pymap, in a child process) holds the mail;
each round takes the unread mail and marks it read, leaves for later what cannot be taken
now, and tells the sender of mail too big to download from its headers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.complaints import evidence
from pengaduan.mailintake.polling import MailboxError, MailboxPoller
from pengaduan.settings import Settings
from tests.integration.test_mail_intake import intake_settings
from tests.support.images import jpeg
from tests.support.imap import ImapServer
from tests.support.mail import SmtpSink
from tests.support.mails import citizen_mail
from tests.support.net import free_port


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
async def mailbox(imap_server: ImapServer) -> ImapServer:
    """The server with an empty INBOX (what earlier tests left is marked deleted)."""
    client = await imap_server.client()
    try:
        await client.select("INBOX")
        await client.store("1:*", "+FLAGS", r"(\Deleted)")
        await client.expunge()
    finally:
        await client.logout()
    return imap_server


def _poller(db_dsn: str, sink: SmtpSink, server: ImapServer, **overrides: str) -> MailboxPoller:
    settings: Settings = intake_settings(db_dsn, sink, **{**server.settings_env(), **overrides})
    return MailboxPoller(settings, evidence.storage_for(settings))


async def test_a_round_takes_the_unread_mail_and_marks_it_read(
    app: Litestar,
    db_dsn: str,
    smtp_sink: SmtpSink,
    mailbox: ImapServer,
    unit_data: dict[str, int],
) -> None:
    await mailbox.deliver(
        citizen_mail(attachments=[("foto.jpg", jpeg((400, 300)), "image/jpeg")]).as_bytes(),
        citizen_mail(
            headers={"Auto-Submitted": "auto-replied"}, subject="Out of office"
        ).as_bytes(),
    )
    poller = _poller(db_dsn, smtp_sink, mailbox)
    done = await poller.poll_once()
    assert done.outcomes == {"filed": 1, "ignored": 1}
    assert await mailbox.unread() == 0
    complaints = await db.fetch("SELECT id, channel FROM complaints")
    assert [c["channel"] for c in complaints] == ["email"]
    assert await db.fetchval("SELECT count(*) FROM evidence_files") == 1
    # The answer waits in the outbox (one: the auto-reply got none).
    assert await db.fetchval("SELECT count(*) FROM outbox") == 1
    # Nothing new: the next round does nothing; the same mail put back unread files nothing new.
    assert (await poller.poll_once()).outcomes == {}
    client = await mailbox.client()
    await client.select("INBOX")
    await client.store("1:*", "-FLAGS", r"(\Seen)")
    await client.logout()
    assert (await poller.poll_once()).outcomes == {"filed": 1, "ignored": 1}
    assert await db.fetchval("SELECT count(*) FROM complaints") == 1


async def test_mail_over_the_limit_per_sender_stays_unread_for_a_later_round(
    app: Litestar,
    db_dsn: str,
    smtp_sink: SmtpSink,
    mailbox: ImapServer,
    unit_data: dict[str, int],
) -> None:
    await mailbox.deliver(
        citizen_mail(subject="Pertama").as_bytes(), citizen_mail(subject="Kedua").as_bytes()
    )
    poller = _poller(db_dsn, smtp_sink, mailbox, PENGADUAN_MAIL_INTAKE_PER_HOUR="1")
    assert (await poller.poll_once()).outcomes == {"filed": 1, "later": 1}
    assert await mailbox.unread() == 1


async def test_mail_too_big_is_not_downloaded_and_its_sender_is_told(
    app: Litestar,
    db_dsn: str,
    smtp_sink: SmtpSink,
    mailbox: ImapServer,
    unit_data: dict[str, int],
) -> None:
    big = citizen_mail(attachments=[("besar.jpg", b"\xff\xd8\xff" + b"x" * 80_000, "image/jpeg")])
    await mailbox.deliver(big.as_bytes())
    poller = _poller(db_dsn, smtp_sink, mailbox, PENGADUAN_MAIL_INTAKE_MAX_BYTES="65536")
    assert (await poller.poll_once()).outcomes == {"too big": 1}
    assert await mailbox.unread() == 0 and await mailbox.flagged() == 1
    assert await db.fetchval("SELECT count(*) FROM complaints") == 0
    payload = await db.fetchval("SELECT payload->>'text' FROM outbox")
    assert "lebih besar dari 0.1 MB" in payload


async def test_an_unreachable_mailbox_is_a_mailbox_error(
    app: Litestar, db_dsn: str, smtp_sink: SmtpSink, imap_server: ImapServer
) -> None:
    poller = _poller(
        db_dsn, smtp_sink, imap_server, PENGADUAN_MAIL_INTAKE_IMAP_PORT=str(free_port())
    )
    with pytest.raises((MailboxError, OSError)):
        await poller.poll_once()
    wrong = _poller(db_dsn, smtp_sink, imap_server, PENGADUAN_MAIL_INTAKE_IMAP_PASSWORD="salah")
    with pytest.raises(MailboxError):
        await wrong.poll_once()
