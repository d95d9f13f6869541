"""Two hosts, one agency: two `pengaduan serve` instances with separate data folders, one
PostgreSQL database and one S3-compatible bucket (moto's server). A photo uploaded through one
host is shown through the other, and an officer's status change on one host reaches the
citizen's page open on the other (live updates cross processes through LISTEN/NOTIFY)."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, expect

from e2e.conftest import PHONE, ROOT, LiveServer, logged_in, run_async
from e2e.data import OFFICER_PASSWORD
from e2e.pages import log_in
from e2e.pages_complaints import ComplaintPage, file_complaint
from e2e.pages_handling import HandlingPage
from pengaduan import demo
from tests.support.databases import drop_database, recreate_database, settings_for, truncate_all
from tests.support.mail import SmtpSink
from tests.support.s3 import S3Server, moto_server


@dataclass(frozen=True)
class Agency:
    host_a: LiveServer
    host_b: LiveServer
    s3: S3Server
    bucket: str


@pytest.fixture(scope="module")
def agency(pg_server_dsn: str, smtp_sink_server: SmtpSink) -> Iterator[Agency]:
    """Both hosts share the database, the bucket, the secret key and the personal-data keys
    (sessions and encrypted fields work on either); nothing else."""
    name = f"pengaduan_e2e_hosts_{os.getpid()}"
    dsn = run_async(recreate_database, pg_server_dsn, name)
    shared = {
        "PENGADUAN_SECRET_KEY": secrets.token_urlsafe(48),
        "PENGADUAN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PENGADUAN_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
    }
    servers: list[LiveServer] = []
    with moto_server() as s3:
        bucket = s3.new_bucket()
        env = {
            **shared,
            **s3.environment(bucket, prefix="bukti"),
            **smtp_sink_server.settings_env(),
        }
        try:
            # One after the other: the first one migrates the database.
            for folder in ("e2e-host-a", "e2e-host-b"):
                shutil.rmtree(ROOT / "var" / folder, ignore_errors=True)
                servers.append(LiveServer(dsn, ROOT / "var" / folder, extra_env=env))
                servers[-1].wait_healthy()

            async def seed() -> None:
                await truncate_all(dsn)
                await demo.seed(settings_for(dsn, **shared), dsn)

            run_async(seed)
            yield Agency(servers[0], servers[1], s3, bucket)
        finally:
            for server in servers:
                server.stop()
            run_async(drop_database, pg_server_dsn, name)


def _stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.suffix in (".jpg", ".pdf", ".png")]


def test_a_photo_sent_through_one_host_is_shown_by_the_other_and_live_updates_cross(
    browser: Browser,
    agency: Agency,
    photo: Path,
) -> None:
    a, b = agency.host_a, agency.host_b
    context = browser.new_context(viewport=PHONE, locale="id-ID")
    context.set_default_timeout(10_000)
    citizen = context.new_page()
    officer = logged_in(browser, a, "petugas.pupr", OFFICER_PASSWORD)
    try:
        # Logged in and filed through host A.
        log_in(citizen, a.url)
        complaint_id = file_complaint(citizen, a.url, photo).complaint_id
        names = [
            o["Key"] for o in agency.s3.client().list_objects_v2(Bucket=agency.bucket)["Contents"]
        ]
        assert len(names) == 2 and all(n.startswith("bukti/") for n in names)  # photo, thumb
        assert not _stored_files(ROOT / "var" / "e2e-host-a")  # nothing on A's own disk

        # The same browser session (cookies are per host name, not per port) on host B.
        mine = ComplaintPage(citizen, b.url).open_complaint(complaint_id)
        expect(mine.evidence_thumbnails).to_have_count(1)
        thumbnail = mine.evidence_thumbnails.first
        thumbnail.scroll_into_view_if_needed()
        citizen.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
        )
        src = thumbnail.get_attribute("src")
        full = citizen.request.get(b.url + src.split("?")[0])
        assert full.ok and full.headers["content-type"] == "image/jpeg"
        assert full.body().startswith(b"\xff\xd8")
        assert full.headers["cache-control"] == "private, max-age=3600"

        # Live: the page stays open on B while the officer works on A.
        mine.wait_live()
        expect(mine.status).to_have_class("badge status-pending")
        mine.mark_unreloaded()
        handling = HandlingPage(officer, a.url).run_to_in_progress(complaint_id)
        expect(mine.status).to_have_class("badge status-in_progress")
        handling.resolve("Lubang sudah ditambal, terima kasih.")
        expect(mine.status).to_have_class("badge status-resolved")
        expect(mine.timeline).to_contain_text("Lubang sudah ditambal, terima kasih.")
        assert mine.still_unreloaded()
        assert not _stored_files(ROOT / "var" / "e2e-host-b")
    finally:
        officer.context.close()
        context.close()
