"""The complaint form suggests a category while the citizen types (issue 15), on a phone: a tap
on the suggestion chooses it; the citizen may still choose another; without scripts the form
is as it was."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.conftest import LiveServer
from e2e.pages import log_in
from e2e.pages_complaints import NewComplaintPage


def test_typing_suggests_a_category_that_a_tap_chooses(
    page: Page, live_server: LiveServer, demo_data: None
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server.url)
    form = NewComplaintPage(page, live_server.url).open_form()
    expect(form.suggestions).to_have_count(0)
    # Typed as a person types (input events, then a pause): the demo's classified complaints
    # taught it (seed-demo relearns).
    form.field("title").press_sequentially("Lampu jalan mati", delay=20)
    form.field("description").press_sequentially("Penerangan jalan gelap di malam hari", delay=10)
    expect(form.suggestions.first).to_have_text("Lampu Jalan")
    expect(form.category_choice("Lampu Jalan")).not_to_be_checked()
    form.suggestions.first.click()
    expect(form.category_choice("Lampu Jalan")).to_be_checked()
    # The citizen's own choice wins: another tap elsewhere changes it.
    form.category_choice("Jalan Rusak").check()
    expect(form.category_choice("Lampu Jalan")).not_to_be_checked()


def test_without_scripts_the_form_suggests_nothing_and_still_works(
    nojs_page: Page, live_server: LiveServer, demo_data: None
) -> None:
    log_in(nojs_page, live_server.url)
    form = NewComplaintPage(nojs_page, live_server.url).open_form()
    form.field("title").fill("Lampu jalan mati")
    expect(form.suggestions).to_have_count(0)
    form.category_choice("Lampu Jalan").check()
    expect(form.category_choice("Lampu Jalan")).to_be_checked()
