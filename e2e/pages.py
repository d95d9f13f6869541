"""Page objects: what a person sees and does, kept apart from the tests' assertions."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from e2e.data import CITIZEN


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
    def main(self) -> Locator:
        return self.page.locator("main")

    @property
    def body(self) -> Locator:
        return self.page.locator("body")

    @property
    def header(self) -> Locator:
        return self.page.locator("header")

    @property
    def flash(self) -> Locator:
        """The first message at the top of the page (a flash after a redirect, a notice)."""
        return self.page.locator("main .alert").first

    @property
    def ok_flash(self) -> Locator:
        return self.page.locator("main .alert.ok")

    @property
    def info_flash(self) -> Locator:
        return self.page.locator("main .alert.info")

    @property
    def flashes(self) -> Locator:
        """The one-time messages carried over a redirect."""
        return self.page.locator("main .alert[data-flash]")

    @property
    def toasts(self) -> Locator:
        return self.page.locator("#toasts .toast")

    @property
    def bell(self) -> Locator:
        return self.page.locator("#notif-bell")

    @property
    def bell_count(self) -> Locator:
        """The unread count on the header's bell (absent when nothing is unread)."""
        return self.bell.locator(".bell-count")

    @property
    def language(self) -> str:
        return self.page.locator("html").get_attribute("lang") or ""

    def menu_link(self, href: str) -> Locator:
        """A link of the header's menu, with the menu opened (on a phone it is folded)."""
        menu = self.page.locator("header details.menu")
        if menu.locator("summary").is_visible() and menu.get_attribute("open") is None:
            menu.locator("summary").click()
        return self.page.locator(f"header .top-nav a[href='{href}']")

    def switch_language(self, code: str) -> None:
        with self.page.expect_navigation():
            self.page.locator(f".lang button[value={code}]").click()

    # -- live updates: the page changes in place, never reloaded

    def wait_live(self) -> None:
        """Until live.js got `ready`: the page's stream is subscribed on its worker."""
        self.page.locator("body[data-live=open]").wait_for(state="attached")

    def mark_unreloaded(self) -> None:
        """A mark in this document's window; a reload or a full navigation loses it."""
        self.page.evaluate("window.__notReloaded = true")

    def still_unreloaded(self) -> bool:
        return self.page.evaluate("window.__notReloaded === true")


class HomePage(ShellPage):
    @property
    def categories(self) -> Locator:
        return self.page.locator(".categories li")

    @property
    def archive_list(self) -> Locator:
        """The latest public complaints."""
        return self.page.locator("main .archive-list")


class RegisterPage(ShellPage):
    def open_form(self) -> RegisterPage:
        self.open("/daftar")
        return self

    def fill(self, **values: str) -> None:
        for name, value in values.items():
            self.page.fill(f"#f-{name}", value)

    def submit(self) -> None:
        self.page.locator("main form button[type=submit]").click()

    def error(self, field: str) -> Locator:
        return self.page.locator(f"#e-{field}")

    def field(self, name: str) -> Locator:
        return self.page.locator(f"#f-{name}")

    def confirm_email(self) -> None:
        """On the page the mailed link opens: opening it alone confirms nothing."""
        self.page.locator("#confirm-email").click()


class LoginPage(ShellPage):
    def log_in(self, identifier: str, password: str) -> None:
        self.open("/masuk")
        self.page.fill("#f-identifier", identifier)
        self.page.fill("#f-password", password)
        self.page.locator("main form button[type=submit]").click()

    @property
    def form_error(self) -> Locator:
        return self.page.locator("#form-error")

    def log_out(self) -> None:
        self.menu_link("/akun")  # opens the menu the button is in
        self.page.locator("header form[action='/keluar'] button").click()


def log_in(
    page: Page, base_url: str, account: tuple[str, str] = CITIZEN, landing: str = "/akun"
) -> LoginPage:
    """Logged in with `account` (the demo citizen), once its landing page is shown."""
    login = LoginPage(page, base_url)
    login.log_in(*account)
    page.wait_for_url(base_url + landing)
    return login


class PasswordPage(ShellPage):
    def request_reset(self, identifier: str) -> None:
        self.open("/lupa-sandi")
        self.page.fill("#f-identifier", identifier)
        self.page.locator("main form button[type=submit]").click()

    @property
    def reset_sent(self) -> Locator:
        return self.page.locator("#reset-sent")

    @property
    def password_field(self) -> Locator:
        return self.page.locator("#f-password")

    def set_password(self, password: str) -> None:
        self.page.fill("#f-password", password)
        self.page.fill("#f-password_confirm", password)
        self.page.locator("main form button[type=submit]").click()


class AdminUsersPage(ShellPage):
    def create_staff(self, **values: str) -> None:
        self.open("/admin/pengguna/baru")
        self.page.select_option("#f-role", values.pop("role"))
        self.page.select_option("#f-unit", label=values.pop("unit"))
        for name, value in values.items():
            self.page.fill(f"#f-{name}", value)
        self.page.locator("main form button[type=submit]").click()

    @property
    def role(self) -> Locator:
        """The role on the account's page (shown after creating it)."""
        return self.page.locator("#user-role")
