"""Live updates across processes: the app on two uvicorn workers, an officer acting in one
browser and the citizen's (or another officer's) open page changing without a reload."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from e2e.conftest import ROOT, LiveServer, logged_in, reset_demo, run_async
from e2e.data import (
    CITIZEN_PASSWORD,
    OFFICER_PASSWORD,
    add_complaint,
    add_second_pupr_officer,
    announce_submitted,
)
from e2e.pages_complaints import ComplaintPage
from e2e.pages_handling import HandlingPage, QueuePage
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


def test_the_citizens_open_page_follows_the_officer_on_another_worker(
    browser: Browser, two_workers: LiveServer, live_data: None
) -> None:
    server = two_workers
    complaint_id, _number = run_async(add_complaint, server.dsn, "Jalan Braga berlubang")
    officer = logged_in(browser, server, "petugas.pupr", OFFICER_PASSWORD)
    citizen = logged_in(browser, server, "warga", CITIZEN_PASSWORD)
    try:
        handling = HandlingPage(officer, server.url).run_to_in_progress(complaint_id)
        mine = ComplaintPage(citizen, server.url).open_complaint(complaint_id)
        mine.wait_live()
        expect(mine.status).to_have_class("badge status-in_progress")
        mine.mark_unreloaded()

        handling.resolve("Lubang sudah ditambal, terima kasih atas laporannya.")
        expect(handling.section).to_have_attribute("data-status", "resolved")

        # Without a reload: the badge, the timeline, and the forms that come with the status.
        expect(mine.status).to_have_class("badge status-resolved")
        expect(mine.timeline).to_contain_text("Lubang sudah ditambal, terima kasih")
        expect(mine.rating_form).to_be_visible()
        assert mine.still_unreloaded()
    finally:
        officer.context.close()
        citizen.context.close()


def test_a_reply_reaches_the_timeline_while_the_citizen_keeps_typing(
    browser: Browser, two_workers: LiveServer, live_data: None
) -> None:
    server = two_workers
    complaint_id, _number = run_async(add_complaint, server.dsn, "Saluran Cikapundung mampet")
    officer = logged_in(browser, server, "petugas.pupr", OFFICER_PASSWORD)
    citizen = logged_in(browser, server, "warga", CITIZEN_PASSWORD)
    try:
        handling = HandlingPage(officer, server.url).run_to_in_progress(complaint_id)
        mine = ComplaintPage(citizen, server.url).open_complaint(complaint_id)
        mine.wait_live()
        draft = "Airnya sudah naik sampai ke teras rumah"
        mine.message_box.fill(draft)
        mine.mark_unreloaded()

        handling.reply("Tim kami menuju lokasi sore ini.")
        expect(mine.timeline).to_contain_text("Tim kami menuju lokasi sore ini.")
        # The form being filled in is left alone.
        expect(mine.message_box).to_have_value(draft)
        assert mine.still_unreloaded()
    finally:
        officer.context.close()
        citizen.context.close()


def test_a_citizens_message_reaches_the_open_handling_page_while_the_officer_keeps_typing(
    browser: Browser, two_workers: LiveServer, live_data: None
) -> None:
    server = two_workers
    complaint_id, _number = run_async(add_complaint, server.dsn, "Trotoar Braga amblas")
    officer = logged_in(browser, server, "petugas.pupr", OFFICER_PASSWORD)
    citizen = logged_in(browser, server, "warga", CITIZEN_PASSWORD)
    try:
        handling = HandlingPage(officer, server.url).open_complaint(complaint_id)
        handling.wait_live()
        draft = "Terima kasih, tim kami akan memeriksa trotoar itu"
        handling.reply_box.fill(draft)
        handling.mark_unreloaded()

        message = "Lubangnya makin lebar setelah hujan semalam."
        ComplaintPage(citizen, server.url).open_complaint(complaint_id).send_message(message)
        expect(handling.timeline).to_contain_text(message)
        # The reply being typed is left alone.
        expect(handling.reply_box).to_have_value(draft)
        assert handling.still_unreloaded()

        # It was typed before the message came: sending it says so and keeps it (a 409 that
        # htmx swaps in); sent again, it goes.
        handling.send_reply()
        expect(handling.conflict).to_contain_text("Pelapor menulis pesan baru.")
        expect(handling.reply_box).to_have_value(draft)
        handling.send_reply()
        expect(handling.timeline).to_contain_text(draft)
        expect(handling.conflict).to_have_count(0)
        assert handling.still_unreloaded()
    finally:
        officer.context.close()
        citizen.context.close()


def test_the_bell_counts_up_when_the_officer_resolves(
    browser: Browser, two_workers: LiveServer, live_data: None
) -> None:
    server = two_workers
    complaint_id, _number = run_async(add_complaint, server.dsn, "Lampu jalan Dago mati")
    officer = logged_in(browser, server, "petugas.pupr", OFFICER_PASSWORD)
    citizen = logged_in(browser, server, "warga", CITIZEN_PASSWORD)
    try:
        handling = HandlingPage(officer, server.url).run_to_in_progress(complaint_id)
        mine = ComplaintPage(citizen, server.url).open_complaint(complaint_id)
        mine.wait_live()
        count = mine.bell_count
        before = int(count.inner_text()) if count.count() else 0
        mine.mark_unreloaded()

        handling.resolve("Lampu sudah diganti.")
        expect(mine.status).to_have_class("badge status-resolved")
        expect(count).to_have_text(str(before + 1))
        assert mine.still_unreloaded()
    finally:
        officer.context.close()
        citizen.context.close()


def test_a_claim_changes_the_row_in_the_other_officers_queue_and_a_new_complaint_appears(
    browser: Browser, two_workers: LiveServer, live_data: None
) -> None:
    server = two_workers
    complaint_id, number = run_async(add_complaint, server.dsn, "Gorong-gorong tersumbat")
    run_async(add_second_pupr_officer, server.dsn)
    claimer = logged_in(browser, server, "petugas.pupr", OFFICER_PASSWORD)
    watcher = logged_in(browser, server, "petugas.pupr2", OFFICER_PASSWORD)
    try:
        queue = QueuePage(watcher, server.url).open_queue("view=unit")
        queue.wait_live()
        expect(queue.row(number)).to_be_visible()
        expect(queue.row(number)).not_to_contain_text("Budi Santoso")
        queue.mark_unreloaded()

        HandlingPage(claimer, server.url).open_complaint(complaint_id).claim()
        expect(queue.row(number)).to_contain_text("Budi Santoso")

        # A complaint sent now (its pg_notify in the submitting transaction) shows up too.
        new_id, new_number = run_async(add_complaint, server.dsn, "Trotoar Asia Afrika retak")
        run_async(announce_submitted, server.dsn, new_id)
        expect(queue.row(new_number)).to_be_visible()
        assert queue.still_unreloaded()
    finally:
        claimer.context.close()
        watcher.context.close()
