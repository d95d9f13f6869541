"""An admin reads the statistics: a filter swaps only the region of figures (the rest of the
page stays the same elements), the URL carries the filters, the back button returns; the
complaint list downloads as a CSV that a spreadsheet reads."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from e2e.conftest import LiveServer
from e2e.data import ADMIN
from e2e.pages import LoginPage
from e2e.pages_admin import AdminComplaintsPage
from e2e.pages_statistics import StatisticsPage

UNIT = "Dinas Lingkungan Hidup"


def _log_in(page: Page, live_server: LiveServer) -> None:
    LoginPage(page, live_server.url).log_in(*ADMIN)
    page.wait_for_url(f"{live_server.url}/admin/statistik")


def test_a_filter_swaps_only_the_figures_and_goes_into_the_url(
    page: Page, live_server: LiveServer, demo_data: None
) -> None:
    _log_in(page, live_server)
    stats = StatisticsPage(page, live_server.url).open_dashboard("period=all")
    expect(stats.heading).to_have_text("Statistik")
    total_before = stats.card("total").inner_text()
    for outside in ("#stats-title", "#stats-filters", "header.top"):
        stats.mark(outside)
    stats.mark("#stats-cards")  # inside the region: replaced by the swap

    stats.choose("unit", UNIT)

    page.wait_for_url(lambda url: "unit=" in url)  # htmx pushes the URL after the swap
    query = parse_qs(urlsplit(page.url).query)
    assert query["period"] == ["all"] and query["unit"] != [""], page.url
    for outside in ("#stats-title", "#stats-filters", "header.top"):
        assert stats.is_marked(outside), f"{outside} was replaced"
    assert not stats.is_marked("#stats-cards"), "the region was not swapped"
    expect(stats.category_chart).to_be_visible()
    assert stats.card("total").inner_text() != total_before
    # The region shows the unit's officers only.
    expect(stats.workload_rows).to_have_count(1)

    page.go_back()
    page.wait_for_url(lambda url: "unit=" not in url)
    expect(stats.card("total")).to_have_text(total_before)


def test_the_filtered_complaint_list_downloads_as_csv(
    page: Page, live_server: LiveServer, demo_data: None
) -> None:
    _log_in(page, live_server)
    complaints = AdminComplaintsPage(page, live_server.url).open_list()
    unit = complaints.unit_value(UNIT)
    complaints.open_list(f"status=any&unit={unit}")
    count_text = complaints.count.inner_text()
    with page.expect_download() as download_info:
        complaints.csv_link.click()
    download = download_info.value
    text = open(download.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert str(len(rows) - 1) in count_text, (count_text, len(rows))
    units = {row[4] for row in rows[1:]}
    assert units == {UNIT}
    citizens = {"Andi Pratama", "Nur Aisyah", "Rudi Hartono", "Maya Sari", "Anonim"}
    assert {row[-1] for row in rows[1:]} <= citizens


def test_filters_work_without_javascript(
    nojs_page: Page, live_server: LiveServer, demo_data: None
) -> None:
    page = nojs_page
    LoginPage(page, live_server.url).log_in(*ADMIN)
    page.wait_for_url(f"{live_server.url}/admin/statistik")
    stats = StatisticsPage(page, live_server.url).open_dashboard()
    stats.filter_without_javascript(unit=UNIT, period="all")
    query = parse_qs(urlsplit(page.url).query)
    assert query["period"] == ["all"] and query["unit"] != [""]
    expect(stats.chosen("unit")).to_have_text(UNIT)
    expect(stats.workload_rows).to_have_count(1)
