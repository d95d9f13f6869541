"""Page objects of the public archive: the list with its search and filters, and a complaint."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from e2e.pages import ShellPage


class ArchivePage(ShellPage):
    """/arsip. With JavaScript the form swaps only the results; without it, it is a GET form."""

    def __init__(self, page: Page, base_url: str, *, js: bool = True) -> None:
        super().__init__(page, base_url)
        self.js = js

    def open_archive(self) -> ArchivePage:
        self.open("/arsip")
        return self

    @property
    def form(self) -> Locator:
        return self.page.locator("main form[action='/arsip']")

    @property
    def results(self) -> Locator:
        return self.page.locator("#archive-results")

    @property
    def rows(self) -> Locator:
        return self.page.locator("#archive-results .archive-item")

    @property
    def count(self) -> Locator:
        return self.page.locator("#archive-count")

    def row(self, title: str) -> Locator:
        return self.rows.filter(has_text=title)

    def _apply(self) -> None:
        """Without JavaScript the visitor presses the button; with it, typing is enough."""
        if not self.js:
            with self.page.expect_navigation():
                self.form.locator("button[type=submit]").click()

    @property
    def search_box(self) -> Locator:
        return self.form.locator("input[name=q]")

    def search(self, text: str) -> None:
        self.search_box.fill(text)
        self._apply()

    def type_search(self, text: str) -> None:
        """Key by key, as a person types (with JavaScript each pause searches)."""
        self.search_box.press_sequentially(text, delay=60)
        self._apply()

    def filter_category(self, name: str) -> None:
        self.form.locator("select[name=category]").select_option(label=name)
        self._apply()

    def open_complaint(self, title: str) -> PublicComplaintPage:
        self.row(title).locator("a").first.click()
        self.page.wait_for_url("**/arsip/ADU-*")
        return PublicComplaintPage(self.page, self.base_url)


class PublicComplaintPage(ShellPage):
    """/arsip/{number}: one public complaint (the reporter's own view is
    pages_complaints.ComplaintPage)."""

    @property
    def official_response(self) -> Locator:
        return self.page.locator("#official-response")

    @property
    def reporter(self) -> Locator:
        return self.page.locator("#reporter")

    @property
    def timeline(self) -> Locator:
        return self.page.locator(".archive-timeline li")


class SimilarHint(ShellPage):
    """The similar-complaint hint under the title of the new-complaint form."""

    def open_form(self) -> SimilarHint:
        self.open("/pengaduan/baru")
        return self

    def type_title(self, title: str) -> None:
        self.page.locator("#f-title").press_sequentially(title)

    @property
    def links(self) -> Locator:
        return self.page.locator("#similar a")

    def link(self, number: str) -> Locator:
        return self.page.locator(f"#similar a[href='/arsip/{number}']")
