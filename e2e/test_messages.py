"""One-time messages on the officer's pages: each is shown once, the newest replacing the one
before instead of stacking across htmx swaps, and none comes back with the back button."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from e2e.conftest import LiveServer, logged_in, run_async
from e2e.data import DLH, OFFICER_PASSWORD, add_complaint
from e2e.pages import ShellPage
from e2e.pages_handling import HandlingPage, QueuePage


def test_action_messages_replace_each_other_and_do_not_come_back(
    browser: Browser, live_server: LiveServer, demo_data: None
) -> None:
    complaint_id, _number = run_async(add_complaint, live_server.dsn, "Trotoar Braga amblas")
    other_id, _other = run_async(add_complaint, live_server.dsn, "Trotoar Braga retak")
    page = logged_in(browser, live_server, "petugas.pupr", OFFICER_PASSWORD)
    shell = ShellPage(page, live_server.url)
    toasts, flashes = shell.toasts, shell.flashes
    try:
        handling = HandlingPage(page, live_server.url).open_complaint(complaint_id)
        handling.claim()
        expect(toasts).to_have_count(1)
        handling.verify()
        expect(handling.section).to_have_attribute("data-status", "verified")
        expect(toasts).to_have_count(1)  # replaced, not stacked
        expect(handling.toast).to_contain_text("diverifikasi")
        handling.start()
        expect(handling.section).to_have_attribute("data-status", "in_progress")
        expect(toasts).to_have_count(1)
        expect(handling.toast).to_contain_text("diproses")

        # Away (an htmx navigation) and back: the page comes back without its old messages.
        ShellPage(page, live_server.url).menu_link("/petugas/antrean").click()
        expect(page).to_have_url(f"{live_server.url}/petugas/antrean")
        page.go_back()  # htmx puts the page it kept back (no load event)
        expect(page).to_have_url(f"{live_server.url}/petugas/pengaduan/{complaint_id}")
        expect(handling.section).to_have_attribute("data-status", "in_progress")
        expect(toasts).to_have_count(0)

        # A message carried over a redirect (the flash) is shown once too.
        handling = HandlingPage(page, live_server.url).open_complaint(other_id)
        handling.forward(DLH, "Ini bukan kewenangan kami.")
        page.wait_for_url(f"{live_server.url}/petugas/antrean")
        expect(flashes).to_have_count(1)
        ShellPage(page, live_server.url).menu_link("/petugas").click()
        expect(page).to_have_url(f"{live_server.url}/petugas")
        page.go_back()
        expect(page).to_have_url(f"{live_server.url}/petugas/antrean")
        expect(QueuePage(page, live_server.url).list).to_be_visible()
        expect(flashes).to_have_count(0)
    finally:
        page.context.close()
