"""Page objects for the citizen's complaint journey: file, receipt, detail, edit, track."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page

from e2e.pages import ShellPage


class NewComplaintPage(ShellPage):
    def open_form(self) -> NewComplaintPage:
        self.open("/pengaduan/baru")
        return self

    def fill(
        self,
        *,
        title: str,
        description: str,
        category: str,
        location: str = "",
        urgency: str = "normal",
        anonymous: bool = False,
        private: bool = False,
    ) -> None:
        self.page.fill("#f-title", title)
        self.page.fill("#f-description", description)
        self.page.locator("main label.choice", has_text=category).locator("input").check()
        self.page.fill("#f-location_text", location)
        self.page.locator(f"input[name=urgency][value={urgency}]").check()
        if anonymous:
            self.page.locator("input[name=anonymous]").check()
        if private:
            self.page.locator("input[name=private]").check()

    @property
    def suggestions(self) -> Locator:
        """The categories suggested for what was typed (fetched while typing, with scripts)."""
        return self.page.locator("#category-suggestions label")

    def category_choice(self, name: str) -> Locator:
        return self.page.locator("main label.choice", has_text=name).locator("input")

    @property
    def locate_button(self) -> Locator:
        """ "Use my location": an enhancement, only where scripts run."""
        return self.page.locator("button.locate")

    def field(self, name: str) -> Locator:
        return self.page.locator(f"#f-{name}")

    def attach(self, *files: Path) -> None:
        self.page.set_input_files("#f-evidence", [str(f) for f in files])

    def submit(self) -> None:
        self.page.locator("main form button[type=submit]").click()

    def error(self, field: str) -> Locator:
        return self.page.locator(f"#e-{field}")

    @property
    def kept_files(self) -> Locator:
        return self.page.locator("input[name=kept]")


class ReceiptPage(ShellPage):
    """The confirmation after sending: number and tracking code."""

    def wait(self) -> ReceiptPage:
        self.page.wait_for_url(re.compile(r"/pengaduan/\d+/terkirim$"))
        return self

    @property
    def number(self) -> str:
        return self.page.locator("#complaint-number").inner_text().strip()

    @property
    def tracking_code(self) -> str:
        return self.page.locator("#tracking-code").inner_text().strip()

    @property
    def complaint_id(self) -> int:
        return int(re.search(r"/pengaduan/(\d+)/terkirim", self.page.url).group(1))

    def view_complaint(self) -> None:
        self.page.locator(f"main a[href='/pengaduan/{self.complaint_id}']").click()
        self.page.wait_for_url(re.compile(r"/pengaduan/\d+$"))


class ComplaintPage(ShellPage):
    """The reporter's view of one complaint."""

    def open_complaint(self, complaint_id: int) -> ComplaintPage:
        self.open(f"/pengaduan/{complaint_id}")
        return self

    @property
    def status(self) -> Locator:
        return self.page.locator("#complaint-status")

    @property
    def timeline(self) -> Locator:
        return self.page.locator("#timeline")

    @property
    def evidence_thumbnails(self) -> Locator:
        return self.page.locator(".evidence img")

    @property
    def edit_link(self) -> Locator:
        return self.page.locator("main a[href$='/ubah']")

    def edit(self) -> None:
        self.edit_link.click()
        self.page.wait_for_url(re.compile(r"/ubah$"))

    def save_title(self, title: str) -> None:
        self.page.fill("#f-title", title)
        self.page.locator("main form button[type=submit]").click()
        self.page.wait_for_url(re.compile(r"/pengaduan/\d+$"))

    @property
    def message_box(self) -> Locator:
        return self.page.locator("#f-message")

    def send_message(self, text: str) -> None:
        self.message_box.fill(text)
        self.page.locator("form[action$='/pesan'] button[type=submit]").click()

    def rate(self, score: int, comment: str = "") -> None:
        self.page.locator(f"input[name=score][value='{score}']").check()
        self.page.fill("#f-comment", comment)
        self.page.locator("form[action$='/nilai'] button[type=submit]").click()

    @property
    def rating_form(self) -> Locator:
        return self.page.locator("form[action$='/nilai']")

    @property
    def withdraw_button(self) -> Locator:
        return self.page.locator("form[action$='/cabut'] button[type=submit]")

    def keep(self) -> None:
        """ "No" on the page that asks before withdrawing (reached without JavaScript)."""
        self.page.locator("main a.btn", has_text="Tidak").click()

    @property
    def confirm_withdrawal(self) -> Locator:
        """On the confirmation page (reached without JavaScript)."""
        return self.page.locator("#confirm-withdraw")


class TrackPage(ShellPage):
    def track(self, number: str, code: str) -> None:
        self.open("/lacak")
        self.page.fill("#f-number", number)
        self.page.fill("#f-code", code)
        self.page.locator("main form button[type=submit]").click()

    @property
    def result(self) -> Locator:
        return self.page.locator("#track-result")

    @property
    def form_error(self) -> Locator:
        return self.page.locator("#form-error")

    def result_status(self, code: str) -> Locator:
        """The result's status badge, if it is `code`."""
        return self.result.locator(f".status-{code}").first

    @property
    def result_files(self) -> Locator:
        """Evidence shown with the result: images or links to them (never, for the public)."""
        return self.page.locator("#track-result img, #track-result a[href*='/bukti/']")


def file_complaint(page: Page, base_url: str, photo: Path | None = None, **fields) -> ReceiptPage:
    """The new-complaint form filled in (defaults: a pothole in Bandung) and sent."""
    form = NewComplaintPage(page, base_url).open_form()
    form.fill(
        title=fields.pop("title", "Jalan berlubang di depan SD Negeri 5"),
        description=fields.pop(
            "description", "Lubang selebar satu meter, sudah dua pengendara motor jatuh."
        ),
        category=fields.pop("category", "Jalan Rusak"),
        location=fields.pop("location", "Jl. Merdeka No. 5, Bandung"),
        **fields,
    )
    if photo:
        form.attach(photo)
    form.submit()
    return ReceiptPage(page, base_url).wait()
