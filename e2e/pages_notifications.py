"""Page objects for the notification centre: the bell in the header and the list."""

from __future__ import annotations

from playwright.sync_api import Locator

from e2e.pages import ShellPage


class NotificationCentre(ShellPage):
    def open_from_bell(self) -> NotificationCentre:
        self.bell.locator("a").click()
        self.page.wait_for_url(self.base_url + "/notifikasi")
        return self

    @property
    def items(self) -> Locator:
        return self.page.locator("#notif-list li.notif")

    @property
    def unread_items(self) -> Locator:
        return self.page.locator("#notif-list li.notif.unread")

    def mark_one_read(self, position: int = 0) -> None:
        self.unread_items.nth(position).locator("form[action$='/baca'] button").click()

    def open_item(self, position: int = 0) -> None:
        """Open a notification from the list (its title: a button that marks it read)."""
        self.items.nth(position).locator("form.notif-open button").click()

    def mark_all_read(self) -> None:
        self.page.locator("main form[action='/notifikasi/baca-semua'] button").click()
