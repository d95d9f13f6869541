"""A citizen sees the bell's count, opens the notification centre and marks everything read,
with JavaScript (htmx swaps, the bell refreshed) and without (plain forms)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import LiveServer, run_async
from e2e.data import CITIZEN, give_unread
from e2e.pages import LoginPage
from e2e.pages_notifications import NotificationCentre


@pytest.mark.usefixtures("demo_data")
def test_citizen_sees_the_bell_count_opens_the_centre_and_marks_all_read(
    any_page: Page, live_server: LiveServer
) -> None:
    page = any_page
    run_async(give_unread, live_server.dsn, 3)
    LoginPage(page, live_server.url).log_in(*CITIZEN)
    page.wait_for_url(live_server.url + "/akun")

    centre = NotificationCentre(page, live_server.url)
    expect(centre.bell_count).to_have_text("3")
    centre.open_from_bell()
    expect(centre.heading).to_have_text("Notifikasi")
    expect(centre.unread_items).to_have_count(3)

    centre.mark_one_read()
    expect(centre.unread_items).to_have_count(2)
    expect(centre.bell_count).to_have_text("2")

    centre.mark_all_read()
    expect(centre.unread_items).to_have_count(0)
    expect(centre.items.first).to_contain_text("Balasan baru nomor 2")  # still listed, read
    expect(centre.bell_count).to_have_count(0)
    expect(centre.bell).to_be_visible()


@pytest.mark.usefixtures("demo_data")
def test_opening_a_notification_goes_to_its_complaint(page: Page, live_server: LiveServer) -> None:
    run_async(give_unread, live_server.dsn, 1)
    LoginPage(page, live_server.url).log_in(*CITIZEN)
    page.wait_for_url(live_server.url + "/akun")
    centre = NotificationCentre(page, live_server.url).open("/notifikasi")
    centre.open_item()
    page.wait_for_url(f"{live_server.url}/pengaduan/*")
    expect(centre.bell_count).to_have_count(0)
