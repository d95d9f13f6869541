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

    @property
    def category_chart(self) -> Locator:
        return self.region.locator("#chart-category")

    @property
    def workload_rows(self) -> Locator:
        """The officers' workload table (inside the region)."""
        return self.region.locator("#officer-workload tbody tr")

    def filter_without_javascript(self, **choices: str) -> None:
        """Choose in the filter form (values by label, `period` by value) and send it."""
        for field, label in choices.items():
            if field == "period":
                self.page.select_option(f"#f-{field}", value=label)
            else:
                self.page.select_option(f"#f-{field}", label=label)
        with self.page.expect_navigation():
            self.page.locator("#stats-filters button[type=submit]").click()

    def chosen(self, field: str) -> Locator:
        return self.page.locator(f"#f-{field} option:checked")
