"""Complaints from outside the web form (the foundation of Open311, mail and WhatsApp/SMS
intake): who the reporter is, the complaint filed with the form's rules and the upload's
checks, all or nothing, and media fetched from a link within limits and never from the
server's own network."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from dataclasses import replace

import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.accounts import contacts
from pengaduan.accounts.personal_data import cipher_for
from pengaduan.complaints import evidence, intake, remote_media
from pengaduan.errors import INVALID, Refused
from pengaduan.settings import Settings
from tests.factories import make_user
from tests.support.images import jpeg, png_with_text
from tests.support.net import http_served

BODY = "Lampu jalan di depan sekolah mati sejak seminggu, gelap sekali di malam hari."


@pytest.fixture
def storage(settings: Settings) -> evidence.Storage:
    return evidence.storage_for(settings)


async def test_a_confirmed_account_is_the_reporter_of_its_address(
    app: Litestar, settings: Settings
) -> None:
    account = await make_user("citizen", "warga_surel", email="warga@uji.test")
    found = await contacts.reporter_for(email=" Warga@Uji.TEST ", settings=settings)
    assert found == contacts.Reporter(account, True)


async def test_a_contact_only_reporter_is_made_once_and_cannot_log_in(
    app: Litestar, settings: Settings
) -> None:
    first = await contacts.reporter_for(
        email="baru@uji.test", name="Siti  Aminah", confirmed=True, settings=settings
    )
    again = await contacts.reporter_for(email="BARU@uji.test", settings=settings)
    assert not first.is_account and again == first
    row = await db.fetchrow("SELECT * FROM users WHERE id = $1", first.user_id)
    assert row["full_name"] == "Siti Aminah" and row["role"] == "citizen"
    assert row["email"] == "baru@uji.test" and row["email_confirmed_at"] is not None
    assert row["password_hash"] == contacts.NO_PASSWORD and "baru" not in row["contact_key"]
    unconfirmed_account = await make_user("citizen", "belum", email="x@uji.test", confirmed=False)
    # An address an unconfirmed account holds: a reporter of its own, the email kept out.
    other = await contacts.reporter_for(email="x@uji.test", confirmed=True, settings=settings)
    assert other.user_id != unconfirmed_account and not other.is_account
    assert await db.fetchval("SELECT email FROM users WHERE id = $1", other.user_id) is None


async def test_a_phone_reporter_keeps_the_phone_encrypted(
    app: Litestar, settings: Settings
) -> None:
    first = await contacts.reporter_for(phone="0812-3456-7890", settings=settings)
    again = await contacts.reporter_for(phone="+6281234567890", settings=settings)
    assert again == first
    stored = await db.fetchval("SELECT phone_encrypted FROM users WHERE id = $1", first.user_id)
    assert "0812" not in stored and cipher_for(settings).decrypt(stored) == "+6281234567890"
    with pytest.raises(Refused) as refused:
        await contacts.reporter_for(phone="12", settings=settings)
    assert refused.value.reason == INVALID
    with pytest.raises(Refused):
        await contacts.reporter_for(settings=settings)


async def test_a_complaint_from_a_channel_is_filed_with_a_suggested_category(
    app: Litestar, settings: Settings, storage: evidence.Storage, unit_data: dict[str, int]
) -> None:
    reporter = await contacts.reporter_for(email="lapor@uji.test", settings=settings)
    submitted = await intake.file_from_channel(
        channel="email",
        reporter_id=reporter.user_id,
        title="Lampu jalan mati " + "sekali " * 60,
        body=BODY,
        category_id=None,
        attachments=[intake.Attachment("lampu.jpg", jpeg((800, 600)))],
        idempotency_key="mail-0123456789abcdef",
        settings=settings,
        storage=storage,
    )
    row = await db.fetchrow("SELECT * FROM complaints WHERE id = $1", submitted.id)
    assert row["channel"] == "email" and row["category_suggested"] is True
    assert row["category"] == unit_data["category"] and row["status"] == "pending"
    assert len(row["title"]) <= 200 and row["title"].endswith("…")
    assert (
        await db.fetchval("SELECT count(*) FROM evidence_files WHERE complaint = $1", submitted.id)
        == 1
    )
    history = await db.fetchval(
        "SELECT count(*) FROM status_history WHERE complaint = $1", submitted.id
    )
    assert history == 1
    audit = await db.fetchval(
        "SELECT data->>'channel' FROM audit_log WHERE action = 'complaint.submit' "
        "AND target_id = $1",
        str(submitted.id),
    )
    assert audit == "email"
    # The same message again (its key) is the same complaint.
    again = await intake.file_from_channel(
        channel="email",
        reporter_id=reporter.user_id,
        title="Lampu jalan mati",
        body=BODY,
        category_id=unit_data["category"],
        idempotency_key="mail-0123456789abcdef",
        settings=settings,
        storage=storage,
    )
    assert again.id == submitted.id and not again.created


async def test_a_bad_attachment_or_field_refuses_the_whole_complaint(
    app: Litestar, settings: Settings, storage: evidence.Storage, unit_data: dict[str, int]
) -> None:
    before = await db.fetchval("SELECT count(*) FROM complaints")
    with pytest.raises(Refused) as refused:
        await intake.file_from_channel(
            channel="whatsapp",
            reporter_id=unit_data["citizen"],
            title="",
            body=BODY,
            category_id=unit_data["category"],
            attachments=[
                intake.Attachment("ok.png", png_with_text()),
                intake.Attachment("virus.exe", b"MZ" + b"\0" * 100),
            ],
            settings=settings,
            storage=storage,
        )
    assert refused.value.reason == INVALID and "virus.exe" in refused.value.message
    with pytest.raises(Refused) as short:
        await intake.file_from_channel(
            channel="sms",
            reporter_id=unit_data["citizen"],
            title="",
            body="pendek",
            category_id=unit_data["category"],
            settings=settings,
            storage=storage,
        )
    assert short.value.field == "description"
    assert await db.fetchval("SELECT count(*) FROM complaints") == before


class _Files(http.server.BaseHTTPRequestHandler):
    photo = jpeg((400, 300))

    def do_GET(self) -> None:
        if self.path == "/foto.jpg":
            self._send(200, self.photo, {"Content-Type": "image/jpeg"})
        elif self.path == "/pindah":
            self._send(302, b"", {"Location": "/foto.jpg"})
        elif self.path == "/besar":
            self._send(200, b"x" * 5000, {"Content-Type": "image/jpeg"})
        else:
            self._send(404, b"", {})

    def _send(self, code: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def files_server() -> Iterator[str]:
    with http_served(_Files) as url:
        yield url


async def test_media_is_fetched_from_a_link_within_limits(
    settings: Settings, files_server: str
) -> None:
    allowed = replace(settings, fetch_private_hosts=True)
    fetched = await remote_media.fetch(f"{files_server}/foto.jpg", settings=allowed)
    assert fetched.name == "foto.jpg" and fetched.data == _Files.photo
    moved = await remote_media.fetch(f"{files_server}/pindah", settings=allowed)
    assert moved.data == _Files.photo
    for url, words in [
        (f"{files_server}/besar", "terlalu besar"),
        (f"{files_server}/hilang", "404"),
        ("ftp://example.org/a.jpg", "http"),
        ("http://nama-yang-tidak-ada.invalid/a.jpg", "tidak dikenal"),
    ]:
        with pytest.raises(Refused) as refused:
            await remote_media.fetch(url, settings=allowed, max_bytes=1000)
        assert words in refused.value.message, refused.value.message


async def test_media_links_never_reach_the_servers_own_network(
    settings: Settings, files_server: str
) -> None:
    closed = replace(settings, fetch_private_hosts=False)
    for url in [
        f"{files_server}/foto.jpg",
        f"http://localhost:{files_server.rsplit(':', 1)[1]}/foto.jpg",
        "http://10.0.0.1/a.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/a.jpg",
    ]:
        with pytest.raises(Refused) as refused:
            await remote_media.fetch(url, settings=closed)
        assert "internet publik" in refused.value.message, url


async def test_a_reporter_without_an_account_is_sent_to_the_tracking_page(
    app: Litestar, settings: Settings, storage: evidence.Storage, unit_data: dict[str, int]
) -> None:
    """They cannot log in to the complaint's page: their mail links to the tracking page
    with the number and the code."""
    reporter = await contacts.reporter_for(
        email="tanpa.akun@uji.test", confirmed=True, settings=settings
    )
    submitted = await intake.file_from_channel(
        channel="email",
        reporter_id=reporter.user_id,
        title="Sampah menumpuk",
        body=BODY,
        category_id=unit_data["category"],
        settings=settings,
        storage=storage,
    )
    payload = await db.fetchval(
        "SELECT payload::text FROM outbox WHERE channel = 'email' AND recipient = $1",
        "tanpa.akun@uji.test",
    )
    assert f"/lacak?nomor={submitted.number}&kode={submitted.tracking_code}" in payload
    assert f"/pengaduan/{submitted.id}" not in payload
