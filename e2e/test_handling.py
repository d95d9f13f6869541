"""Officers handle complaints in a real browser while the citizen follows them: claim → verify →
process → resolve, rejection, forwarding to another unit, two officers claiming at once, and
internal notes that no citizen ever sees."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import PHONE, LiveServer, logged_in, run_async
from e2e.data import CITIZEN_PASSWORD, DLH, OFFICER_PASSWORD, add_complaint, add_pupr_officer
from e2e.pages import LoginPage, ShellPage
from e2e.pages_complaints import ComplaintPage
from e2e.pages_handling import HandlingPage, QueuePage
from tests.support.databases import fetch_rows


def _citizen_status(page: Page, server: LiveServer, complaint_id: int, status: str) -> None:
    """The citizen's own complaint page shows the status (its badge carries the code)."""
    mine = ComplaintPage(page, server.url).open_complaint(complaint_id)
    expect(mine.status).to_have_class(f"badge status-{status}")


def test_officer_claims_verifies_processes_and_resolves_while_the_citizen_follows(
    browser: Browser, live_server: LiveServer, demo_data: None
) -> None:
    complaint_id, number = run_async(add_complaint, live_server.dsn, "Jalan Dago berlubang")
    officer = logged_in(browser, live_server, "petugas.pupr", OFFICER_PASSWORD)
    citizen = logged_in(browser, live_server, "warga", CITIZEN_PASSWORD)
    try:
        queue = QueuePage(officer, live_server.url).open_queue("view=unassigned")
        expect(queue.row(number)).to_be_visible()
        handling = queue.open_complaint(number)
        _citizen_status(citizen, live_server, complaint_id, "pending")

        handling.claim()
        expect(handling.officer).to_have_text("Budi Santoso")
        QueuePage(officer, live_server.url).open_queue("view=mine")
        expect(QueuePage(officer, live_server.url).row(number)).to_be_visible()
        handling.open_complaint(complaint_id)

        handling.verify(priority="high")
        expect(handling.section).to_have_attribute("data-status", "verified")
        _citizen_status(citizen, live_server, complaint_id, "verified")

        handling.start()
        expect(handling.section).to_have_attribute("data-status", "in_progress")
        _citizen_status(citizen, live_server, complaint_id, "in_progress")

        handling.resolve("")  # the official response is required
        expect(handling.error("response")).to_be_visible()
        handling.resolve("Lubang sudah ditambal dan diaspal ulang.")
        expect(handling.section).to_have_attribute("data-status", "resolved")
        _citizen_status(citizen, live_server, complaint_id, "resolved")
        expect(ShellPage(citizen, live_server.url).main).to_contain_text(
            "Lubang sudah ditambal dan diaspal ulang."
        )
    finally:
        officer.context.close()
        citizen.context.close()


def test_handling_works_without_javascript(
    browser: Browser, live_server: LiveServer, demo_data: None
) -> None:
    _complaint_id, number = run_async(add_complaint, live_server.dsn, "Trotoar Dago amblas")
    context = browser.new_context(viewport=PHONE, locale="id-ID", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        LoginPage(page, live_server.url).log_in("petugas.pupr", OFFICER_PASSWORD)
        page.wait_for_url(f"{live_server.url}/petugas")
        queue = QueuePage(page, live_server.url).open_queue()
        queue.search(number.lower())
        expect(queue.rows).to_have_count(1)
        handling = queue.open_complaint(number)
        with page.expect_navigation():
            handling.claim()
        expect(handling.ok_flash).to_be_visible()  # the flash after the redirect
        expect(handling.officer).to_have_text("Budi Santoso")
        with page.expect_navigation():
            handling.verify()
        expect(handling.section).to_have_attribute("data-status", "verified")
    finally:
        context.close()


def test_officer_rejects_with_a_reason_the_citizen_reads(
    browser: Browser, live_server: LiveServer, demo_data: None
) -> None:
    complaint_id, _number = run_async(add_complaint, live_server.dsn, "Jalan tol rusak")
    officer = logged_in(browser, live_server, "petugas.pupr", OFFICER_PASSWORD)
    citizen = logged_in(browser, live_server, "warga", CITIZEN_PASSWORD)
    reason = "Jalan tol adalah kewenangan BPJT, bukan pemerintah kota."
    try:
        handling = HandlingPage(officer, live_server.url).open_complaint(complaint_id)
        handling.reject("")
        expect(handling.error("reason")).to_be_visible()
        handling.reject(reason)
        expect(handling.section).to_have_attribute("data-status", "rejected")
        _citizen_status(citizen, live_server, complaint_id, "rejected")
        expect(ShellPage(citizen, live_server.url).main).to_contain_text(reason)
    finally:
        officer.context.close()
        citizen.context.close()


def test_forwarded_complaint_leaves_the_queue_and_enters_the_other_units(
    browser: Browser, live_server: LiveServer, demo_data: None
) -> None:
    complaint_id, number = run_async(add_complaint, live_server.dsn, "Sampah di bahu jalan")
    pupr = logged_in(browser, live_server, "petugas.pupr", OFFICER_PASSWORD)
    dlh = logged_in(browser, live_server, "petugas.dlh", OFFICER_PASSWORD)
    try:
        QueuePage(dlh, live_server.url).open_queue("view=unassigned")
        expect(QueuePage(dlh, live_server.url).row(number)).to_have_count(0)

        handling = HandlingPage(pupr, live_server.url).open_complaint(complaint_id)
        handling.forward(DLH, "Ini tumpukan sampah, bukan kerusakan jalan.")
        pupr.wait_for_url(f"{live_server.url}/petugas/antrean")
        expect(handling.ok_flash).to_be_visible()
        expect(QueuePage(pupr, live_server.url).row(number)).to_have_count(0)

        dlh_queue = QueuePage(dlh, live_server.url).open_queue("view=unassigned")
        expect(dlh_queue.row(number)).to_be_visible()
        received = dlh_queue.open_complaint(number)
        expect(received.unit).to_have_text(DLH)
        expect(received.timeline).to_contain_text("Ini tumpukan sampah, bukan kerusakan jalan.")
    finally:
        pupr.context.close()
        dlh.context.close()


def test_two_officers_claim_at_once_and_one_is_told_who_won(
    browser: Browser, live_server: LiveServer, demo_data: None
) -> None:
    run_async(add_pupr_officer, live_server.dsn, "petugas.pupr2", "Rahmat Hidayat")
    complaint_id, _number = run_async(add_complaint, live_server.dsn, "Jembatan retak")
    first = logged_in(browser, live_server, "petugas.pupr", OFFICER_PASSWORD)
    second = logged_in(browser, live_server, "petugas.pupr2", OFFICER_PASSWORD)
    try:
        pages = [
            HandlingPage(p, live_server.url).open_complaint(complaint_id) for p in (first, second)
        ]
        for handling in pages:
            expect(handling.claim_button).to_be_visible()
        # Both saw it unassigned; both press "take" (the second before the first's answer).
        for handling in pages:
            handling.claim()
        # Each page settles: taken (the section comes back without the button) or refused.
        for handling in pages:
            handling.wait_claim_settled()
        (winner,) = run_async(
            fetch_rows,
            live_server.dsn,
            "SELECT u.full_name FROM complaints c JOIN users u ON u.id = c.officer WHERE c.id = $1",
            complaint_id,
        )
        assert winner["full_name"] in ("Budi Santoso", "Rahmat Hidayat")
        outcomes = []
        for handling in pages:
            if handling.refused:
                outcomes.append("refused")
                expect(handling.error_toast).to_contain_text(winner["full_name"])
            else:
                outcomes.append("claimed")
                expect(handling.officer).to_have_text(winner["full_name"])
        assert sorted(outcomes) == ["claimed", "refused"]
    finally:
        first.context.close()
        second.context.close()


def test_an_internal_note_never_reaches_the_citizen(
    browser: Browser, live_server: LiveServer, demo_data: None
) -> None:
    complaint_id, number = run_async(add_complaint, live_server.dsn, "Got mampet di Dago")
    secret = "Kontraktor lama belum dibayar, tunda sampai APBD-P."
    officer = logged_in(browser, live_server, "petugas.pupr", OFFICER_PASSWORD)
    citizen = logged_in(browser, live_server, "warga", CITIZEN_PASSWORD)
    try:
        handling = HandlingPage(officer, live_server.url).open_complaint(complaint_id)
        handling.add_note(secret)
        expect(handling.internal_notes).to_contain_text(secret)
        handling.reply("Terima kasih, tim kami akan meninjau lokasi.")
        expect(handling.timeline).to_contain_text("tim kami akan meninjau lokasi")

        for path in (f"/pengaduan/{complaint_id}", "/pengaduan-saya", f"/arsip/{number}", "/arsip"):
            seen = ShellPage(citizen, live_server.url).open(path)
            expect(seen.body).not_to_contain_text("Kontraktor lama")
        mine = ComplaintPage(citizen, live_server.url).open_complaint(complaint_id)
        expect(mine.main).to_contain_text("tim kami akan meninjau lokasi")
        rows = run_async(
            fetch_rows,
            live_server.dsn,
            "SELECT n.title || ' ' || n.body AS text FROM notifications n"
            " JOIN users u ON u.id = n.\"user\" WHERE u.username = 'warga'"
            " UNION ALL SELECT payload::text FROM outbox",
        )
        assert rows and not [r for r in rows if "Kontraktor lama" in r["text"]]
    finally:
        officer.context.close()
        citizen.context.close()
