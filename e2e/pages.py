"""Page objects: what a person sees and does, kept apart from the tests' assertions."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


class ShellPage:
    """Any page: the header with the language switch."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    def open(self, path: str = "/") -> ShellPage:
        self.page.goto(self.base_url + path)
        return self

    @property
    def heading(self) -> Locator:
        return self.page.locator("main h1").first

    @property
    def language(self) -> str:
        return self.page.locator("html").get_attribute("lang") or ""

    def switch_language(self, code: str) -> None:
        with self.page.expect_navigation():
            self.page.locator(f".lang button[value={code}]").click()


class HomePage(ShellPage):
    @property
    def categories(self) -> Locator:
        return self.page.locator(".categories li")
