"""A visitor opens the home page, switches language, and it works without JavaScript too."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.conftest import LiveServer
from e2e.pages import HomePage


def test_home_page_switches_language_and_remembers_it(
    page: Page, live_server: LiveServer, demo_data: None
) -> None:
    home = HomePage(page, live_server.url).open()
    assert home.language == "id"
    expect(home.heading).to_have_text("Laporkan masalah kepada pemerintah")
    expect(home.categories).to_have_count(9)

    home.switch_language("en")
    assert home.language == "en"
    expect(home.heading).to_have_text("Report a problem to the government")

    home.open("/")  # a new visit keeps the choice
    expect(home.heading).to_have_text("Report a problem to the government")
    home.switch_language("id")
    expect(home.heading).to_have_text("Laporkan masalah kepada pemerintah")


def test_home_page_works_with_javascript_disabled(
    nojs_page: Page, live_server: LiveServer, demo_data: None
) -> None:
    home = HomePage(nojs_page, live_server.url).open()
    expect(home.heading).to_have_text("Laporkan masalah kepada pemerintah")
    expect(home.categories.first).to_be_visible()
    home.switch_language("en")  # a plain form post and redirect
    expect(home.heading).to_have_text("Report a problem to the government")
    home.open("/")
    expect(home.heading).to_have_text("Report a problem to the government")


def test_missing_page_shows_the_error_page_in_the_chosen_language(
    page: Page, live_server: LiveServer
) -> None:
    shell = HomePage(page, live_server.url).open("/tidak-ada")
    expect(shell.heading).to_have_text("Halaman tidak ditemukan")
