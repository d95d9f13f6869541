"""Page objects of the officers' side: the queue and a complaint's handling page."""

from __future__ import annotations

from playwright.sync_api import Locator, expect

from e2e.pages import ShellPage


class QueuePage(ShellPage):
    """/petugas/antrean: tabs for the views, filters, the list that refreshes itself."""

    def open_queue(self, query: str = "") -> QueuePage:
        self.open("/petugas/antrean" + (f"?{query}" if query else ""))
        return self

    @property
    def rows(self) -> Locator:
        return self.page.locator("#queue .queue-row")

    def row(self, number: str) -> Locator:
        return self.rows.filter(has_text=number)

    @property
    def list(self) -> Locator:
        return self.page.locator("#queue")

    def tab(self, view: str) -> Locator:
        return self.page.locator(f".queue-tabs a[href*='view={view}']:not(.queue-map-link)")

    def search(self, text: str) -> None:
        self.page.fill("#f-q", text)
        self.page.locator("main form[role=search] button[type=submit]").click()

    def open_complaint(self, number: str) -> HandlingPage:
        self.row(number).locator("a.queue-title").click()
        page = HandlingPage(self.page, self.base_url)
        page.section.wait_for()
        return page


class HandlingPage(ShellPage):
    """/petugas/pengaduan/{id}: the complaint and its actions (htmx swaps #complaint)."""

    def open_complaint(self, complaint_id: int) -> HandlingPage:
        self.open(f"/petugas/pengaduan/{complaint_id}")
        return self

    @property
    def section(self) -> Locator:
        return self.page.locator("#complaint")

    @property
    def status(self) -> Locator:
        return self.page.locator("#complaint-status")

    @property
    def officer(self) -> Locator:
        return self.page.locator("#complaint-officer")

    @property
    def reporter(self) -> Locator:
        return self.page.locator("#complaint-reporter")

    @property
    def unit(self) -> Locator:
        return self.page.locator("#complaint-unit")

    @property
    def timeline(self) -> Locator:
        return self.page.locator("#timeline")

    @property
    def conflict(self) -> Locator:
        """What the page says when an action was refused because the complaint changed."""
        return self.page.locator("#conflict")

    @property
    def reply_box(self) -> Locator:
        return self.page.locator("#f-body")

    @property
    def toast(self) -> Locator:
        return self.page.locator("#toasts .toast").last

    @property
    def error_toast(self) -> Locator:
        return self.page.locator("#toasts .toast.error").last

    @property
    def refused(self) -> bool:
        """An error toast is shown (the action was refused)."""
        return self.page.locator("#toasts .toast.error").count() > 0

    @property
    def claim_button(self) -> Locator:
        return self.page.locator("#claim")

    def wait_claim_settled(self) -> None:
        """Until the claim's answer is shown: taken (the section comes back without the
        button) or refused (an error toast)."""
        self.page.locator("#toasts .toast.error, #complaint:not(:has(#claim))").first.wait_for()

    @property
    def internal_notes(self) -> Locator:
        return self.timeline.locator("li.internal")

    def error(self, field: str) -> Locator:
        return self.page.locator(f"#e-{field}")

    def _open_details(self, field_id: str) -> None:
        """Actions folded in <details> are unfolded first, as a person would."""
        if not self.page.locator(f"#{field_id}").is_visible():
            self.page.locator(f"details:has(#{field_id}) > summary").click()

    def claim(self) -> None:
        self.claim_button.click()

    def run_to_in_progress(
        self, complaint_id: int, officer_name: str = "Budi Santoso"
    ) -> HandlingPage:
        """Opened, claimed, verified and started, each answer awaited before the next."""
        self.open_complaint(complaint_id)
        self.claim()
        expect(self.officer).to_have_text(officer_name)
        self.verify()
        expect(self.section).to_have_attribute("data-status", "verified")
        self.start()
        expect(self.section).to_have_attribute("data-status", "in_progress")
        return self

    def verify(self, *, category: str | None = None, priority: str | None = None) -> None:
        if category:
            self.page.select_option("#f-category", label=category)
        if priority:
            self.page.select_option("#f-priority", priority)
        self.page.locator("#verify").click()

    def start(self) -> None:
        self.page.locator("#start").click()

    def resolve(self, response: str) -> None:
        self.page.fill("#f-response", response)
        self.page.locator("#resolve").click()

    def reject(self, reason: str) -> None:
        self._open_details("f-reason")
        self.page.fill("#f-reason", reason)
        self.page.locator("#reject").click()

    def reply(self, text: str) -> None:
        self.page.fill("#f-body", text)
        self.send_reply()

    def send_reply(self) -> None:
        self.page.locator("#send-reply").click()

    def add_note(self, text: str) -> None:
        self.page.fill("#f-note", text)
        self.page.locator("#add-note").click()

    def forward(self, unit: str, note: str) -> None:
        self._open_details("f-unit")
        self.page.select_option("#f-unit", label=unit)
        self.page.fill("#f-forward_note", note)
        self.page.locator("#forward").click()

    def use_template(self, title: str) -> None:
        self.page.select_option("#f-template", label=title)
