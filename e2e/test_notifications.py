"""A citizen sees the bell's count, opens the notification centre and marks everything read,
with JavaScript (htmx swaps, the bell refreshed) and without (plain forms)."""

from __future__ import annotations

import asyncpg
import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import LiveServer, run_async
from e2e.pages import LoginPage
from e2e.pages_notifications import NotificationCentre

CITIZEN = ("warga", "pengaduan-warga-demo")


def give_unread(dsn: str, count: int) -> None:
    """Read every notification the demo left the citizen, then add `count` unread ones."""

    async def work() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            user = await conn.fetchval("SELECT id FROM users WHERE username = $1", CITIZEN[0])
            await conn.execute('UPDATE notifications SET is_read = true WHERE "user" = $1', user)
            complaint = await conn.fetchval(
                "SELECT id FROM complaints WHERE reporter = $1 ORDER BY id LIMIT 1", user
            )
            for n in range(count):
                await conn.execute(
                    'INSERT INTO notifications ("user", kind, title, body, complaint, is_read,'
                    " created_at) VALUES ($1, 'reply', $2, 'Balasan petugas', $3, false,"
                    " now() - make_interval(secs => $4))",
                    user,
                    f"Balasan baru nomor {n}",
                    complaint,
                    float(count - n),
                )
        finally:
            await conn.close()

    run_async(work)


@pytest.fixture(params=["page", "nojs_page"], ids=["js", "nojs"])
def any_page(request: pytest.FixtureRequest) -> Page:
    return request.getfixturevalue(request.param)


@pytest.mark.usefixtures("demo_data")
def test_citizen_sees_the_bell_count_opens_the_centre_and_marks_all_read(
    any_page: Page, live_server: LiveServer
) -> None:
    page = any_page
    give_unread(live_server.dsn, 3)
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
    give_unread(live_server.dsn, 1)
    LoginPage(page, live_server.url).log_in(*CITIZEN)
    page.wait_for_url(live_server.url + "/akun")
    centre = NotificationCentre(page, live_server.url).open("/notifikasi")
    centre.open_item()
    page.wait_for_url(f"{live_server.url}/pengaduan/*")
    expect(centre.bell_count).to_have_count(0)
