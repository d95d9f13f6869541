"""Mail you can see in development: the mailbox folder and /dev/surat, production without an
SMTP server (quiet, pending), and the admins' outbox by state."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from litestar import Litestar

from pengaduan.app import create_app
from pengaduan.notifications import outbox, outbox_view
from pengaduan.notifications.mail import RenderedMail
from pengaduan.notifications.outbox import worker as outbox_worker
from pengaduan.settings import Settings
from tests.conftest import browser_client
from tests.support.databases import settings_for


def _production(db_dsn: str, data_dir: Path | None = None, **extra: str) -> Settings:
    env = {
        "PENGADUAN_MODE": "production",
        "PENGADUAN_SECRET_KEY": "s" * 40,
        "PENGADUAN_ENCRYPTION_KEYS": "x" * 43 + "=",
        "PENGADUAN_BLIND_INDEX_KEY": "b" * 40,
        "PENGADUAN_BCRYPT_ROUNDS": "10",
        "PENGADUAN_OUTBOX_IN_APP": "false",
        **extra,
    }
    if data_dir is not None:
        env["PENGADUAN_DATA_DIR"] = str(data_dir)
    return settings_for(db_dsn, **env)


async def _rows(dsn: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch("SELECT * FROM outbox ORDER BY id")
    finally:
        await conn.close()


async def _mail(to: str) -> None:
    await outbox.enqueue_email(
        to=to, mail=RenderedMail(f"Halo {to}", "Teks\n", "<p>Teks</p>"), kind="test"
    )


# --- the development mailbox ------------------------------------------------------------------


async def test_a_reset_mail_in_development_lands_in_the_mailbox_and_dev_surat_shows_it(
    app: Litestar, client: httpx.AsyncClient, people: dict[str, int], settings: Settings
) -> None:
    # The run's settings name no SMTP server: development writes mail to the data folder.
    assert settings.mail_transport == "mailbox"
    shutil.rmtree(settings.mailbox_dir, ignore_errors=True)
    response = await client.post("/lupa-sandi", data={"identifier": "warga"})
    assert response.status_code == 200
    assert await outbox_worker.deliver_due(settings) == 1
    [stored] = list(settings.mailbox_dir.glob("*.eml"))
    assert b"To: warga@uji.test" in stored.read_bytes()

    listing = await client.get("/dev/surat")
    assert listing.status_code == 200
    assert "warga@uji.test" in listing.text and f"/dev/surat/{stored.name}" in listing.text
    page = await client.get(f"/dev/surat/{stored.name}")
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    link = re.search(r'href="(http[^"]+/atur-ulang-sandi/[^"]+)"', page.text)
    assert link, page.text
    # The link in the mail, opened from the mailbox, is the reset page.
    assert (await client.get(urlsplit(link.group(1)).path)).status_code == 200
    # Names that are not a stored message's are not files to read.
    for name in ("..%2Fsecret_key", "secret_key", "20261204T170000000000-99.eml"):
        assert (await client.get(f"/dev/surat/{name}")).status_code == 404


async def test_a_notification_mail_in_development_is_written_into_the_mailbox(
    app: Litestar, client: httpx.AsyncClient, people: dict[str, int], settings: Settings
) -> None:
    """A notification mail is queued with its subject only and written when delivered: the
    mailbox gets the whole message, as a mail server would."""
    from datetime import UTC, datetime

    from pengaduan.notifications import services

    assert settings.mail_transport == "mailbox"
    shutil.rmtree(settings.mailbox_dir, ignore_errors=True)
    note = {"kind": "reply", "params": {"number": "ADU-2026-000007", "text": "Sedang dicek."}}
    reader = {
        "id": people["citizen"],
        "email": "warga@uji.test",
        "email_confirmed_at": datetime.now(UTC),
        "language": "id",
        "full_name": "Warga Uji",
    }
    await services.mail(
        reader,
        "notification",
        {"link": "/pengaduan/7", "settings_link": "/notifikasi/pengaturan"},
        "notification_reply",
        notification=note,
        settings=settings,
    )
    assert await outbox_worker.deliver_due(settings) == 1
    [stored] = list(settings.mailbox_dir.glob("*.eml"))
    page = await client.get(f"/dev/surat/{stored.name}")
    assert page.status_code == 200
    assert "ADU-2026-000007" in page.text and "Sedang dicek." in page.text


async def test_dev_surat_does_not_exist_in_production(
    app: Litestar, db_dsn: str, data_dir: Path, settings: Settings
) -> None:
    production = _production(db_dsn, data_dir)
    # Even with a mailbox folder left from development, nothing of it is shown.
    (production.mailbox_dir).mkdir(parents=True)
    name = "20261204T170000000000-1.eml"
    (production.mailbox_dir / name).write_bytes(b"Subject: rahasia\r\nTo: a@b.c\r\n\r\nx\r\n")
    async with browser_client(create_app(production)) as visitor:
        assert (await visitor.get("/dev/surat")).status_code == 404
        assert (await visitor.get(f"/dev/surat/{name}")).status_code == 404
    # The same folder in development: there it is.
    development = settings_for(db_dsn, PENGADUAN_DATA_DIR=str(data_dir))
    async with browser_client(create_app(development)) as developer:
        assert "rahasia" in (await developer.get("/dev/surat")).text
        assert (await developer.get(f"/dev/surat/{name}")).status_code == 200


# --- no SMTP server: quiet ----------------------------------------------------------------------


async def test_without_an_smtp_server_no_attempt_and_no_warning_per_message(
    app: Litestar, db_dsn: str, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    production = _production(db_dsn, data_dir)
    assert production.mail_transport == "none"
    for n in range(3):
        await _mail(f"orang{n}@uji.test")
    with caplog.at_level(logging.INFO, logger="pengaduan"):
        for _ in range(3):
            assert await outbox_worker.deliver_due(production) == 0
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    rows = await _rows(db_dsn)
    # Pending, untouched: they go out once a server is configured.
    assert all(r["attempts"] == 0 and r["sent_at"] is None and r["dead_at"] is None for r in rows)

    # Development without a server: delivered into the mailbox, also without a warning.
    development = settings_for(db_dsn, PENGADUAN_DATA_DIR=str(data_dir))
    with caplog.at_level(logging.INFO, logger="pengaduan"):
        assert await outbox_worker.deliver_due(development) == 3
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert len(list(development.mailbox_dir.glob("*.eml"))) == 3


# --- the admins' outbox: pending and sent, not only dead ---------------------------------------


async def test_admin_outbox_lists_pending_and_sent_by_state_with_pages(
    app: Litestar,
    db_dsn: str,
    data_dir: Path,
    as_role,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    development = settings_for(db_dsn, PENGADUAN_DATA_DIR=str(data_dir))
    await _mail("terkirim1@uji.test")
    await _mail("terkirim2@uji.test")
    assert await outbox_worker.deliver_due(development) == 2
    await _mail("menunggu@uji.test")
    admin: httpx.AsyncClient = await as_role("admin")

    pending = await admin.get("/admin/kotak-keluar?status=pending")
    assert pending.status_code == 200
    assert "menunggu@uji.test" in pending.text and "terkirim1@uji.test" not in pending.text
    sent = await admin.get("/admin/kotak-keluar?status=sent")
    assert "terkirim1@uji.test" in sent.text and "terkirim2@uji.test" in sent.text
    assert "menunggu@uji.test" not in sent.text
    every = await admin.get("/admin/kotak-keluar?status=all")
    assert all(f"{n}@uji.test" in every.text for n in ("menunggu", "terkirim1", "terkirim2"))
    # The default is what needs the admin: the undelivered, of which there are none.
    assert "@uji.test" not in (await admin.get("/admin/kotak-keluar")).text

    # Pages: newest first, one more row read to know that a next page exists.
    monkeypatch.setattr(outbox_view, "PAGE_SIZE", 1)
    first = await admin.get("/admin/kotak-keluar?status=sent")
    assert "terkirim2@uji.test" in first.text and "terkirim1@uji.test" not in first.text
    assert "status=sent&amp;halaman=2" in first.text
    second = await admin.get("/admin/kotak-keluar?status=sent&halaman=2")
    assert "terkirim1@uji.test" in second.text and "halaman=3" not in second.text


@pytest.mark.parametrize("state", ["dead", "pending", "sent"])
async def test_each_outbox_state_is_read_from_an_index_in_its_order(
    app: Litestar, db_dsn: str, state: str
) -> None:
    where, order = outbox_view._STATE_SQL[state]
    sql = f"SELECT o.id FROM outbox o WHERE {where} ORDER BY {order} LIMIT 51"
    conn = await asyncpg.connect(db_dsn)
    try:
        async with conn.transaction():
            # An empty test table would be scanned whole; ask what serves a large one.
            await conn.execute("SET LOCAL enable_seqscan = off")
            await conn.execute("SET LOCAL enable_bitmapscan = off")
            plan = "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN {sql}"))
    finally:
        await conn.close()
    assert f"outbox_{state}" in plan and "Sort" not in plan, plan
    assert "count" not in outbox_view._SELECT.lower()
