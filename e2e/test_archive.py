"""A visitor searches the public archive, filters it and reads a complaint's official response,
with JavaScript on (htmx swaps the results) and off (plain GET form); private ones never show."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import LiveServer, run_async
from e2e.data import CITIZEN, PRIVATE_TITLE, PUBLIC_TITLE, RESPONSE, add_known_complaints
from e2e.pages import HomePage, LoginPage
from e2e.pages_archive import ArchivePage, PublicComplaintPage, SimilarHint


@pytest.fixture
def known(live_server: LiveServer, demo_data: None) -> dict[str, str]:
    return run_async(add_known_complaints, live_server.dsn)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_search_filter_and_read_the_official_response(
    request: pytest.FixtureRequest, live_server: LiveServer, known: dict[str, str], js: bool
) -> None:
    page: Page = request.getfixturevalue("page" if js else "nojs_page")
    archive = ArchivePage(page, live_server.url, js=js).open_archive()
    expect(archive.rows).to_have_count(20)
    if js:
        page.evaluate("window.archiveMarker = 'same page'")

    archive.search("cisitu lama")
    expect(archive.rows).to_have_count(1)
    expect(archive.row(PUBLIC_TITLE)).to_be_visible()
    expect(archive.count).to_contain_text("1")
    expect(archive.results).not_to_contain_text(PRIVATE_TITLE)
    # The filter state is in the address (htmx pushes the short form of it).
    expect(page).to_have_url(re.compile(r"/arsip\?q=cisitu\+lama" + ("$" if js else "&")))
    if js:  # only the results were swapped
        assert page.evaluate("window.archiveMarker") == "same page"

    archive.search("")
    archive.filter_category("Jalan Rusak")
    expect(page).to_have_url(re.compile(r"/arsip\?(q=&)?category=\d+" + ("$" if js else "&")))
    expect(archive.rows.nth(1)).to_be_visible()
    expect(archive.row(PUBLIC_TITLE)).to_be_visible()
    for text in archive.rows.all_inner_texts():
        assert "Jalan Rusak" in text
    expect(archive.results).not_to_contain_text(PRIVATE_TITLE)

    detail = archive.open_complaint(PUBLIC_TITLE)
    expect(detail.heading).to_have_text(PUBLIC_TITLE)
    expect(detail.official_response).to_contain_text(RESPONSE)
    expect(detail.main).not_to_contain_text("E2ETRACK")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_private_complaint_is_absent_from_the_archive_and_its_search(
    request: pytest.FixtureRequest, live_server: LiveServer, known: dict[str, str], js: bool
) -> None:
    page: Page = request.getfixturevalue("page" if js else "nojs_page")
    archive = ArchivePage(page, live_server.url, js=js).open_archive()
    expect(archive.results).not_to_contain_text(PRIVATE_TITLE)  # it is the newest, yet absent
    archive.search("rahasia cisitu")
    expect(archive.rows).to_have_count(0)
    expect(archive.count).to_contain_text("0")

    missing = PublicComplaintPage(page, live_server.url).open(f"/arsip/{known['private']}")
    expect(missing.heading).to_have_text("Halaman tidak ditemukan")
    expect(missing.main).not_to_contain_text(PRIVATE_TITLE)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_complaint_number_typed_in_the_search_finds_it(
    request: pytest.FixtureRequest, live_server: LiveServer, known: dict[str, str], js: bool
) -> None:
    page: Page = request.getfixturevalue("page" if js else "nojs_page")
    archive = ArchivePage(page, live_server.url, js=js).open_archive()
    number = known["public"]  # ADU-2026-900001
    # Lower case with spaces, as typed on a phone; then without the prefix.
    for typed in (number.lower().replace("-", " "), number.removeprefix("ADU-")):
        archive.search_box.fill("")
        archive.type_search(typed)
        # The results of what was typed (not of an earlier search still on the page).
        expect(page).to_have_url(re.compile(re.escape(urlencode({"q": typed.strip()}))))
        expect(archive.rows).to_have_count(1)
        expect(archive.row(PUBLIC_TITLE)).to_be_visible()
        expect(archive.count).to_contain_text("1")
    archive.search_box.fill("")
    archive.type_search(known["private"].lower())
    expect(page).to_have_url(re.compile(re.escape(urlencode({"q": known["private"].lower()}))))
    expect(archive.rows).to_have_count(0)


def test_the_archive_is_linked_from_every_page_and_the_home_page(
    page: Page, live_server: LiveServer, known: dict[str, str]
) -> None:
    home = ArchivePage(page, live_server.url).open("/")
    expect(HomePage(page, live_server.url).archive_list).to_contain_text(PUBLIC_TITLE)
    expect(home.main).not_to_contain_text(PRIVATE_TITLE)
    home.menu_link("/arsip").click()
    page.wait_for_url(f"{live_server.url}/arsip")
    expect(home.results).to_contain_text(PUBLIC_TITLE)
    expect(home.results).not_to_contain_text(PRIVATE_TITLE)


def test_typing_a_title_shows_similar_open_public_complaints(
    page: Page, live_server: LiveServer, known: dict[str, str]
) -> None:
    LoginPage(page, live_server.url).log_in(*CITIZEN)
    page.wait_for_url(f"{live_server.url}/akun")
    hint = SimilarHint(page, live_server.url).open_form()
    hint.type_title("jalan amblas cisitu")
    expect(hint.link(known["open"])).to_be_visible()
    expect(hint.links).not_to_have_count(0)
    expect(hint.link(known["private"])).to_have_count(0)  # private
    expect(hint.link(known["public"])).to_have_count(0)  # resolved: no longer open
    assert hint.links.count() <= 5
