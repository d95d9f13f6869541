"""Live updates across processes: the app on two uvicorn workers, an officer acting in one
browser and the citizen's (or another officer's) open page changing without a reload."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import ROOT, LiveServer, reset_demo, run_async
from e2e.test_handling import CITIZEN_PASSWORD, OFFICER_PASSWORD, _add_complaint, _logged_in
from tests.support.mail import SmtpSink


@pytest.fixture(scope="module")
def two_workers(e2e_dsn: str, smtp_sink_server: SmtpSink) -> Iterator[LiveServer]:
    """`pengaduan serve --workers 2`: each browser connection lands on either process."""
    server = LiveServer(
        e2e_dsn, ROOT / "var" / "e2e-live", workers=2, extra_env=smtp_sink_server.settings_env()
    )
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_data(two_workers: LiveServer) -> None:
    reset_demo(two_workers)


def _stream_open(page: Page) -> None:
    """live.js got `ready`: the page's stream is subscribed on its worker."""
    expect(page.locator("body")).to_have_attribute("data-live", "open")


class CitizenComplaint:
    """The citizen's own complaint page, /pengaduan/{id}, left open."""

    def __init__(self, page: Page, base_url: str, complaint_id: int) -> None:
        self.page = page
        page.goto(f"{base_url}/pengaduan/{complaint_id}")
        _stream_open(page)

    @property
    def badge(self):
        return self.page.locator("#complaint-status")

    @property
    def timeline(self):
        return self.page.locator("#timeline")

    @property
    def bell(self):
        return self.page.locator("#notif-bell")


def _mark_unreloaded(page: Page) -> None:
    page.evaluate("window.__notReloaded = true")


def _still_unreloaded(page: Page) -> bool:
    return page.evaluate("window.__notReloaded === true")


def _run_to_in_progress(officer: Page, base_url: str, complaint_id: int):
    from e2e.pages_handling import HandlingPage

    handling = HandlingPage(officer, base_url).open_complaint(complaint_id)
    handling.claim()
    expect(handling.officer).to_have_text("Budi Santoso")
    handling.verify()
    expect(handling.section).to_have_attribute("data-status", "verified")
    handling.start()
    expect(handling.section).to_have_attribute("data-status", "in_progress")
    return handling


def test_the_citizens_open_page_follows_the_officer_on_another_worker(
    browser: Browser, two_workers: LiveServer, live_data: None
) -> None:
    server = two_workers
    complaint_id, _number = run_async(_add_complaint, server.dsn, "Jalan Braga berlubang")
    officer = _logged_in(browser, server, "petugas.pupr", OFFICER_PASSWORD)
    citizen = _logged_in(browser, server, "warga", CITIZEN_PASSWORD)
    try:
        handling = _run_to_in_progress(officer, server.url, complaint_id)
        mine = CitizenComplaint(citizen, server.url, complaint_id)
        expect(mine.badge).to_have_class("badge status-in_progress")
        _mark_unreloaded(citizen)

        handling.resolve("Lubang sudah ditambal, terima kasih atas laporannya.")
        expect(handling.section).to_have_attribute("data-status", "resolved")

        # Without a reload: the badge, the timeline, and the forms that come with the status.
        expect(mine.badge).to_have_class("badge status-resolved")
        expect(mine.timeline).to_contain_text("Lubang sudah ditambal, terima kasih")
        expect(citizen.locator("form[action$='/nilai']")).to_be_visible()
        assert _still_unreloaded(citizen)
    finally:
        officer.context.close()
        citizen.context.close()


def test_a_reply_reaches_the_timeline_while_the_citizen_keeps_typing(
    browser: Browser, two_workers: LiveServer, live_data: None
) -> None:
    server = two_workers
    complaint_id, _number = run_async(_add_complaint, server.dsn, "Saluran Cikapundung mampet")
    officer = _logged_in(browser, server, "petugas.pupr", OFFICER_PASSWORD)
    citizen = _logged_in(browser, server, "warga", CITIZEN_PASSWORD)
    try:
        handling = _run_to_in_progress(officer, server.url, complaint_id)
        mine = CitizenComplaint(citizen, server.url, complaint_id)
        draft = "Airnya sudah naik sampai ke teras rumah"
        citizen.fill("#f-message", draft)
        _mark_unreloaded(citizen)

        handling.reply("Tim kami menuju lokasi sore ini.")
        expect(mine.timeline).to_contain_text("Tim kami menuju lokasi sore ini.")
        # The form being filled in is left alone.
        expect(citizen.locator("#f-message")).to_have_value(draft)
        assert _still_unreloaded(citizen)
    finally:
        officer.context.close()
        citizen.context.close()


def test_a_citizens_message_reaches_the_open_handling_page_while_the_officer_keeps_typing(
    browser: Browser, two_workers: LiveServer, live_data: None
) -> None:
    from e2e.pages_complaints import ComplaintPage
    from e2e.pages_handling import HandlingPage

    server = two_workers
    complaint_id, _number = run_async(_add_complaint, server.dsn, "Trotoar Braga amblas")
    officer = _logged_in(browser, server, "petugas.pupr", OFFICER_PASSWORD)
    citizen = _logged_in(browser, server, "warga", CITIZEN_PASSWORD)
    try:
        handling = HandlingPage(officer, server.url).open_complaint(complaint_id)
        _stream_open(officer)
        draft = "Terima kasih, tim kami akan memeriksa trotoar itu"
        handling.reply_box.fill(draft)
        _mark_unreloaded(officer)

        message = "Lubangnya makin lebar setelah hujan semalam."
        ComplaintPage(citizen, server.url).open_complaint(complaint_id).send_message(message)
        expect(handling.timeline).to_contain_text(message)
        # The reply being typed is left alone.
        expect(handling.reply_box).to_have_value(draft)
        assert _still_unreloaded(officer)

        # It was typed before the message came: sending it says so and keeps it (a 409 that
        # htmx swaps in); sent again, it goes.
        handling.send_reply()
        expect(handling.conflict).to_contain_text("Pelapor menulis pesan baru.")
        expect(handling.reply_box).to_have_value(draft)
        handling.send_reply()
        expect(handling.timeline).to_contain_text(draft)
        expect(handling.conflict).to_have_count(0)
        assert _still_unreloaded(officer)
    finally:
        officer.context.close()
        citizen.context.close()


def test_the_bell_counts_up_when_the_officer_resolves(
    browser: Browser, two_workers: LiveServer, live_data: None
) -> None:
    server = two_workers
    complaint_id, _number = run_async(_add_complaint, server.dsn, "Lampu jalan Dago mati")
    officer = _logged_in(browser, server, "petugas.pupr", OFFICER_PASSWORD)
    citizen = _logged_in(browser, server, "warga", CITIZEN_PASSWORD)
    try:
        handling = _run_to_in_progress(officer, server.url, complaint_id)
        mine = CitizenComplaint(citizen, server.url, complaint_id)
        count = mine.bell.locator(".bell-count")
        before = int(count.inner_text()) if count.count() else 0
        _mark_unreloaded(citizen)

        handling.resolve("Lampu sudah diganti.")
        expect(mine.badge).to_have_class("badge status-resolved")
        expect(count).to_have_text(str(before + 1))
        assert _still_unreloaded(citizen)
    finally:
        officer.context.close()
        citizen.context.close()


def test_a_claim_changes_the_row_in_the_other_officers_queue_and_a_new_complaint_appears(
    browser: Browser, two_workers: LiveServer, live_data: None
) -> None:
    from e2e.pages_handling import HandlingPage, QueuePage

    server = two_workers
    complaint_id, number = run_async(_add_complaint, server.dsn, "Gorong-gorong tersumbat")
    run_async(_add_second_pupr_officer, server.dsn)
    claimer = _logged_in(browser, server, "petugas.pupr", OFFICER_PASSWORD)
    watcher = _logged_in(browser, server, "petugas.pupr2", OFFICER_PASSWORD)
    try:
        queue = QueuePage(watcher, server.url).open_queue("view=unit")
        _stream_open(watcher)
        expect(queue.row(number)).to_be_visible()
        expect(queue.row(number)).not_to_contain_text("Budi Santoso")
        _mark_unreloaded(watcher)

        HandlingPage(claimer, server.url).open_complaint(complaint_id).claim()
        expect(queue.row(number)).to_contain_text("Budi Santoso")

        # A complaint sent now (its pg_notify in the submitting transaction) shows up too.
        new_id, new_number = run_async(_add_complaint, server.dsn, "Trotoar Asia Afrika retak")
        run_async(_announce_submitted, server.dsn, new_id)
        expect(queue.row(new_number)).to_be_visible()
        assert _still_unreloaded(watcher)
    finally:
        claimer.context.close()
        watcher.context.close()


async def _add_second_pupr_officer(dsn: str) -> None:
    from e2e.test_handling import _add_pupr_officer

    await _add_pupr_officer(dsn, "petugas.pupr2", "Sari Wulandari")


async def _announce_submitted(dsn: str, complaint_id: int) -> None:
    """What the submitting transaction publishes (complaints.submission.write)."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        unit = await conn.fetchval("SELECT unit FROM complaints WHERE id = $1", complaint_id)
        await conn.execute(
            "SELECT pg_notify($1, $2)",
            f"queue_{unit}",
            f'{{"event":"submitted","complaint":{complaint_id}}}',
        )
    finally:
        await conn.close()
