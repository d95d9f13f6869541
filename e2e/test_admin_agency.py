"""An admin sets up a unit and a category that citizens then see (until it is deactivated),
and bulk-assigns complaints to an officer from the all-units list."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import PHONE, LiveServer, run_async
from e2e.data import ADMIN, CITIZEN, officers_of, unit_with_unassigned_work
from e2e.pages import LoginPage
from e2e.pages_admin import (
    AdminCategoriesPage,
    AdminComplaintsPage,
    AdminUnitsPage,
    CategoryChoice,
)


def test_admin_sets_up_a_unit_and_category_that_citizens_see_until_deactivated(
    page: Page, browser: Browser, live_server: LiveServer, demo_data: None
) -> None:
    LoginPage(page, live_server.url).log_in(*ADMIN)
    page.wait_for_url(f"{live_server.url}/admin/statistik")
    units = AdminUnitsPage(page, live_server.url)
    units.create_unit("Dinas Pemadam Kebakaran", "Kebakaran dan penyelamatan", auto_assign=True)
    page.wait_for_url(f"{live_server.url}/admin/unit")
    expect(units.row("Dinas Pemadam Kebakaran")).to_be_visible()

    categories = AdminCategoriesPage(page, live_server.url)
    categories.create_category(
        name="Hidran Rusak", icon="🚒", unit="Dinas Pemadam Kebakaran", deadline_days=3
    )
    page.wait_for_url(f"{live_server.url}/admin/kategori")
    expect(categories.row("Hidran Rusak")).to_contain_text("Dinas Pemadam Kebakaran")

    citizen_context = browser.new_context(viewport=PHONE, locale="id-ID")
    try:
        citizen = citizen_context.new_page()
        LoginPage(citizen, live_server.url).log_in(*CITIZEN)
        citizen.wait_for_url(f"{live_server.url}/akun")
        choice = CategoryChoice(citizen, live_server.url).open_choice()
        expect(choice.names.filter(has_text="Hidran Rusak")).to_have_count(1)

        categories.open_category("Hidran Rusak")
        categories.deactivate()
        expect(categories.info_flash).to_be_visible()  # marked inactive

        choice.open_choice()
        expect(choice.names.filter(has_text="Jalan Rusak")).to_have_count(1)
        expect(choice.names.filter(has_text="Hidran Rusak")).to_have_count(0)
    finally:
        citizen_context.close()


def test_admin_bulk_assigns_two_complaints_to_an_officer(
    page: Page, live_server: LiveServer, demo_data: None
) -> None:
    work = run_async(unit_with_unassigned_work, live_server.dsn)
    assert len(work["numbers"]) == 2, "the demo data should have open complaints"
    LoginPage(page, live_server.url).log_in(*ADMIN)
    page.wait_for_url(f"{live_server.url}/admin/statistik")
    complaints = AdminComplaintsPage(page, live_server.url).open_list()
    complaints.filter_view("unassigned")
    complaints.filter_unit(work["unit"])
    for number in work["numbers"]:
        expect(complaints.row(number)).to_be_visible()
        complaints.tick(number)
    complaints.assign_ticked_to(work["officer"]["id"])

    expect(complaints.flash).to_be_visible()
    assert "unit=" in page.url  # back on the same filtered list
    for number in work["numbers"]:
        expect(complaints.row(number)).to_have_count(0)  # no longer unassigned
    assert run_async(officers_of, live_server.dsn, work["numbers"]) == {
        number: work["officer"]["id"] for number in work["numbers"]
    }
    complaints.open_list(f"q={work['numbers'][0]}")
    expect(complaints.row(work["numbers"][0])).to_contain_text(work["officer"]["full_name"])


def test_bulk_assign_works_without_javascript(
    nojs_page: Page, live_server: LiveServer, demo_data: None
) -> None:
    page = nojs_page
    work = run_async(unit_with_unassigned_work, live_server.dsn)
    LoginPage(page, live_server.url).log_in(*ADMIN)
    page.wait_for_url(f"{live_server.url}/admin/statistik")
    complaints = AdminComplaintsPage(page, live_server.url)
    complaints.open_list(f"view=unassigned&unit={work['unit']}")
    for number in work["numbers"]:
        complaints.tick(number)
    complaints.assign_ticked_to(work["officer"]["id"])
    assert f"unit={work['unit']}" in page.url
    assert run_async(officers_of, live_server.dsn, work["numbers"]) == {
        number: work["officer"]["id"] for number in work["numbers"]
    }
