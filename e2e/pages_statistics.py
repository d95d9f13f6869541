"""Page objects of the statistics: the admins' dashboard and the public transparency page."""

from __future__ import annotations

from playwright.sync_api import Locator

from e2e.pages import ShellPage


class StatisticsPage(ShellPage):
    def open_dashboard(self, query: str = "") -> StatisticsPage:
        self.open("/admin/statistik" + (f"?{query}" if query else ""))
        return self

    def choose(self, field: str, label: str) -> None:
        """Change one filter; htmx swaps the region of figures (waits for that answer)."""
        with self.page.expect_response(lambda r: "/admin/statistik?" in r.url):
            self.page.select_option(f"#f-{field}", label=label)
        self.page.wait_for_load_state("networkidle")

    def mark(self, selector: str) -> None:
        """A property set from JavaScript: it survives only while the element itself does."""
        self.page.locator(selector).evaluate("el => { el.__statsMark = 'kept'; }")

    def is_marked(self, selector: str) -> bool:
        return self.page.locator(selector).evaluate("el => el.__statsMark === 'kept'")

    def card(self, name: str) -> Locator:
        return self.page.locator(f"#card-{name}")

    @property
    def region(self) -> Locator:
        return self.page.locator("#stats-region")
