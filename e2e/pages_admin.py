"""Page objects of the agency admin: units, categories, the all-units complaint list, and the
category choice citizens see."""

from __future__ import annotations

from playwright.sync_api import Locator

from e2e.pages import ShellPage


class AdminUnitsPage(ShellPage):
    def create_unit(self, name: str, description: str = "", *, auto_assign: bool = False) -> None:
        self.open("/admin/unit/baru")
        self.page.fill("#f-name", name)
        self.page.fill("#f-description", description)
        if auto_assign:
            self.page.check("#f-auto_assign")
        with self.page.expect_navigation():
            self.page.locator("main form[action='/admin/unit/baru'] button[type=submit]").click()

    def row(self, name: str) -> Locator:
        return self.page.locator("#units tbody tr").filter(has_text=name)


class AdminCategoriesPage(ShellPage):
    def create_category(self, *, name: str, icon: str, unit: str, deadline_days: int) -> None:
        self.open("/admin/kategori/baru")
        self.page.fill("#f-name", name)
        self.page.fill("#f-icon", icon)
        self.page.select_option("#f-default_unit", label=unit)
        self.page.fill("#f-deadline_days", str(deadline_days))
        with self.page.expect_navigation():
            self.page.locator(
                "main form[action='/admin/kategori/baru'] button[type=submit]"
            ).click()

    def row(self, name: str) -> Locator:
        return self.page.locator("#categories tbody tr").filter(has_text=name)

    def open_category(self, name: str) -> None:
        self.open("/admin/kategori")
        with self.page.expect_navigation():
            self.row(name).get_by_role("link", name=name).click()

    def deactivate(self) -> None:
        with self.page.expect_navigation():
            self.page.locator("main form[action$='/nonaktifkan'] button").click()


class CategoryChoice(ShellPage):
    """The categories a citizen can choose: the new-complaint form, or (where that page does
    not exist) the home page's list of active categories."""

    def open_choice(self) -> CategoryChoice:
        response = self.page.goto(self.base_url + "/pengaduan/baru")
        self.on_form = response is not None and response.status == 200
        if not self.on_form:
            self.open("/")
        return self

    @property
    def names(self) -> Locator:
        if self.on_form:
            return self.page.locator("main input[name=category] >> xpath=..")
        return self.page.locator(".categories li")


class AdminComplaintsPage(ShellPage):
    """/admin/pengaduan: filters (htmx swaps the results), checkboxes and the bulk assign bar."""

    def open_list(self, query: str = "") -> AdminComplaintsPage:
        self.open("/admin/pengaduan" + (f"?{query}" if query else ""))
        return self

    @property
    def rows(self) -> Locator:
        return self.page.locator("#complaints tbody tr[id^=complaint-]")

    def row(self, number: str) -> Locator:
        return self.rows.filter(has_text=number)

    def unit_value(self, name: str) -> str:
        """The id the unit filter sends for the unit called `name`."""
        return self.page.locator("select[name=unit] option", has_text=name).get_attribute("value")

    @property
    def count(self) -> Locator:
        return self.page.locator("#complaint-count")

    @property
    def csv_link(self) -> Locator:
        return self.page.locator("#export-complaints-csv")

    def filter_unit(self, unit_id: int) -> None:
        with self.page.expect_response(lambda r: "/admin/pengaduan?" in r.url):
            self.page.locator("main form[role=search] select[name=unit]").select_option(
                str(unit_id)
            )

    def filter_view(self, view: str) -> None:
        with self.page.expect_response(lambda r: "/admin/pengaduan?" in r.url):
            self.page.locator("main form[role=search] select[name=view]").select_option(view)

    def tick(self, number: str) -> None:
        self.row(number).locator("input[type=checkbox]").check()

    def assign_ticked_to(self, officer_id: int) -> None:
        self.page.select_option("#f-officer", str(officer_id))
        with self.page.expect_navigation():
            self.page.locator("#bulk-assign .bulk-bar button[type=submit]").click()
