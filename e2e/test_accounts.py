"""Accounts in a real browser: register → confirm → log in → log out, throttling, password reset
by mail, and an admin creating an officer who then logs in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import PHONE, LiveServer
from e2e.data import ADMIN, CITIZEN
from e2e.pages import AdminUsersPage, LoginPage, PasswordPage, RegisterPage, ShellPage
from tests.support.mail import ReceivedMail, SmtpSink

TEXTS = {
    "id": {
        "confirmed": "telah dikonfirmasi",
        "logged_out": "Anda telah keluar",
        "wait": "Coba lagi dalam 30 detik",
        "my_unit": "Unit saya",
    },
    "en": {
        "confirmed": "is confirmed",
        "logged_out": "You are logged out",
        "wait": "Try again in 30 seconds",
        "my_unit": "My unit",
    },
}


def link_in(mail: ReceivedMail, base_url: str) -> str:
    body = mail.message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(re.escape(base_url) + r"/\S+", body)
    assert match, body
    return match.group(0)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_register_confirm_log_in_and_out(
    page: Page, live_server: LiveServer, demo_data: None, mailbox: SmtpSink, lang: str
) -> None:
    form = RegisterPage(page, live_server.url).open_form()
    if lang == "en":
        form.switch_language("en")
    email = f"rina.{lang}@contoh.id"
    form.fill(
        full_name="Rina Marlina",
        nik="3273014507900002" if lang == "id" else "3273011203850001",
        phone="081298765432",
        address="Jl. Dago No. 7, Bandung",
        email=email,
        username=f"rina{lang}",
        password="hujan-di-bulan-juni",
        password_confirm="hujan-di-bulan-Juni",
    )
    form.submit()
    expect(form.error("password_confirm")).to_be_visible()  # the typed values stay
    expect(form.field("full_name")).to_have_value("Rina Marlina")
    form.fill(password="hujan-di-bulan-juni", password_confirm="hujan-di-bulan-juni")
    form.submit()
    page.wait_for_url(f"{live_server.url}/masuk")

    (mail,) = mailbox.wait_for(1, to=email, timeout=20)
    page.goto(link_in(mail, live_server.url))
    form.confirm_email()
    expect(form.flash).to_contain_text(TEXTS[lang]["confirmed"])

    login = LoginPage(page, live_server.url)
    login.log_in(email, "hujan-di-bulan-juni")
    page.wait_for_url(f"{live_server.url}/akun")
    expect(login.main).to_contain_text("Rina Marlina")
    expect(login.main).to_contain_text("3273")
    login.log_out()
    expect(login.flash).to_contain_text(TEXTS[lang]["logged_out"])
    expect(login.header).not_to_contain_text("Rina Marlina")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_login_is_throttled_after_repeated_failures(
    page: Page, live_server: LiveServer, demo_data: None, lang: str
) -> None:
    login = LoginPage(page, live_server.url).open("/masuk")
    if lang == "en":
        login.switch_language("en")
    for _ in range(5):
        login.log_in("warga", "bukan-sandinya")
    expect(login.form_error).to_contain_text(TEXTS[lang]["wait"])
    login.log_in(*CITIZEN)  # even the right password waits
    expect(login.form_error).to_be_visible()
    assert "/masuk" in page.url


def test_password_reset_by_mail(
    page: Page, live_server: LiveServer, demo_data: None, mailbox: SmtpSink
) -> None:
    reset = PasswordPage(page, live_server.url)
    reset.request_reset("warga")
    expect(reset.reset_sent).to_be_visible()
    (mail,) = mailbox.wait_for(1, to="warga@demo.pengaduan.test", timeout=20)
    link = link_in(mail, live_server.url)
    page.goto(link)
    reset.set_password("teh-hangat-pagi-hari")
    page.wait_for_url(f"{live_server.url}/masuk")
    page.goto(link)  # single use
    expect(reset.flash).to_be_visible()
    assert reset.password_field.count() == 0
    login = LoginPage(page, live_server.url)
    login.log_in("warga", "teh-hangat-pagi-hari")
    page.wait_for_url(f"{live_server.url}/akun")


def test_admin_creates_an_officer_who_logs_in_to_the_officer_page(
    browser: Browser, live_server: LiveServer, demo_data: None, mailbox: SmtpSink
) -> None:
    admin_ctx = browser.new_context(viewport=PHONE, locale="id-ID")
    officer_ctx = browser.new_context(viewport=PHONE, locale="en-US")
    try:
        admin = admin_ctx.new_page()
        LoginPage(admin, live_server.url).log_in(*ADMIN)
        admin.wait_for_url(f"{live_server.url}/admin/statistik")
        users = AdminUsersPage(admin, live_server.url)
        users.create_staff(
            role="officer",
            unit="Dinas Perhubungan",
            full_name="Joko Susilo",
            username="joko.susilo",
            email="joko@dishub.go.id",
            nip="198703152010011002",
        )
        expect(users.role).to_have_text("Petugas")
        (mail,) = mailbox.wait_for(1, to="joko@dishub.go.id", timeout=20)

        officer = officer_ctx.new_page()
        officer.goto(link_in(mail, live_server.url))
        PasswordPage(officer, live_server.url).set_password("lampu-jalan-menyala")
        officer.wait_for_url(f"{live_server.url}/masuk")
        LoginPage(officer, live_server.url).log_in("joko.susilo", "lampu-jalan-menyala")
        officer.wait_for_url(f"{live_server.url}/petugas")
        landing = ShellPage(officer, live_server.url)
        expect(landing.heading).to_have_text("Dinas Perhubungan")
        expect(landing.header).to_contain_text(TEXTS["en"]["my_unit"])
    finally:
        admin_ctx.close()
        officer_ctx.close()
