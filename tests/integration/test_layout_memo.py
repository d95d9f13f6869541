"""The page header kept per visitor (web.layout): rendered once for a visitor's session,
language and kind of page, never handed to another visitor, and new as soon as what it shows
changes (issue 13, item 4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from pengaduan.accounts.tables import User
from pengaduan.notifications.tables import Notification
from pengaduan.web import layout
from tests.conftest import browser_client, log_in


def _header(page: httpx.Response) -> str:
    assert page.status_code == 200, page.text
    return page.text.split('<header class="top">', 1)[1].split("</header>", 1)[0]


def _without_address(header: str) -> str:
    return re.sub(r'name="next" value="[^"]*"', "", header)


def _tokens(header: str) -> set[str]:
    return set(re.findall(r'name="_csrf_token" value="([^"]+)"', header))


async def test_a_visitors_header_is_rendered_once_for_all_their_pages(as_role) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    await citizen.get("/akun")
    layout.clear()
    first = _header(await citizen.get("/akun"))
    assert layout.kept() == 1
    for path in ("/pengaduan-saya", "/notifikasi", "/akun"):
        header = _header(await citizen.get(path))
        # The same header, but for the address the language switch comes back to.
        assert f'name="next" value="{path}"' in header
        assert _without_address(header) == _without_address(first)
    assert layout.kept() == 1


async def test_the_page_address_in_the_kept_header_is_escaped(as_role) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    await citizen.get("/akun")
    header = _header(await citizen.get('/akun?a=<b>&c="d"'))
    assert 'name="next" value="/akun?a=%3Cb%3E&amp;c=%22d%22"' in header
    assert "<b>" not in header


async def test_no_visitor_is_given_another_visitors_header(app, as_role) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    officer: httpx.AsyncClient = await as_role("officer")
    # The same account on a second device: another session, another CSRF token.
    second = browser_client(app)
    await log_in(second, "warga")
    try:
        layout.clear()
        pages = {}
        for name, client in (("citizen", citizen), ("officer", officer), ("second", second)):
            for _ in range(2):  # the second from the kept header
                pages[name] = _header(await client.get("/akun"))
        anonymous = browser_client(app)
        try:
            pages["anonymous"] = _header(await anonymous.get("/lacak"))
            anonymous_token = anonymous.cookies["csrftoken"]
        finally:
            await anonymous.aclose()
        tokens = {name: _tokens(header) for name, header in pages.items()}
        assert tokens["citizen"] == {citizen.cookies["csrftoken"]}
        assert tokens["second"] == {second.cookies["csrftoken"]}
        assert tokens["officer"] == {officer.cookies["csrftoken"]}
        assert tokens["anonymous"] == {anonymous_token}
        assert len({token for found in tokens.values() for token in found}) == 4
        assert "Warga" in pages["citizen"] and "Warga" in pages["second"]
        assert "Petugas" not in pages["citizen"] and "/petugas/antrean" not in pages["citizen"]
        assert "Petugas" in pages["officer"] and "Warga" not in pages["officer"]
        assert "/akun" not in pages["anonymous"] and "/masuk" in pages["anonymous"]
    finally:
        await second.aclose()


async def test_the_header_follows_the_unread_count_name_role_and_language(
    as_role, people: dict[str, int]
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    header = _header(await citizen.get("/akun"))
    assert 'class="bell-count"' not in header
    assert _header(await citizen.get("/akun")) == header  # kept

    await Notification.insert(
        Notification(user=people["citizen"], kind="status", title="t", created_at=datetime.now(UTC))
    )
    header = _header(await citizen.get("/akun"))
    assert '<span class="bell-count">1</span>' in header

    await User.update({User.full_name: "Warga Baru Sekali"}).where(User.id == people["citizen"])
    header = _header(await citizen.get("/akun"))
    assert "Warga Baru Sekali" in header

    await User.update({User.role: "admin"}).where(User.id == people["citizen"])
    header = _header(await citizen.get("/notifikasi"))
    assert 'href="/admin/pengguna"' in header and 'href="/pengaduan-saya"' not in header
    await User.update({User.role: "citizen"}).where(User.id == people["citizen"])

    assert "Keluar" in _header(await citizen.get("/akun"))
    switched = await citizen.post("/bahasa", data={"lang": "en", "next": "/akun"})
    assert switched.status_code == 303
    header = _header(await citizen.get("/akun"))
    assert "Log out" in header and "Keluar" not in header


async def test_a_one_time_message_goes_to_its_visitor_once_beside_the_kept_header(
    app, as_role
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    second = browser_client(app)  # the same account on another device
    await log_in(second, "warga")
    try:
        for client in (citizen, second):  # both headers kept
            await client.get("/notifikasi")
        sent = await citizen.post("/notifikasi/baca-semua")
        assert sent.status_code == 303
        message = "Semua notifikasi"
        shown = await citizen.get(sent.headers["location"])
        assert message in shown.text.split("</header>", 1)[1]
        assert message not in _header(shown)
        assert message not in (await second.get("/notifikasi")).text
        assert message not in (await citizen.get("/notifikasi")).text
    finally:
        await second.aclose()


async def test_visitors_without_a_session_share_one_kept_header_each_with_their_token(
    app,
) -> None:
    first, second = browser_client(app), browser_client(app)
    try:
        layout.clear()
        headers = [_header(await client.get("/masuk")) for client in (first, second, first)]
        assert layout.kept() == 1
        tokens = [first.cookies["csrftoken"], second.cookies["csrftoken"]]
        assert tokens[0] != tokens[1]
        assert [_tokens(header) for header in headers] == [
            {tokens[0]},
            {tokens[1]},
            {tokens[0]},
        ]
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_page_is_rendered_without_litestars_url_or_header_mapping(
    as_role, monkeypatch
) -> None:
    """The header's address and whether htmx asked for a fragment are read from the request's
    scope: building Litestar's URL and header mapping for them showed in every page's profile
    under load. The page and its fragment come out as before."""
    from litestar.connection.base import ASGIConnection

    admin: httpx.AsyncClient = await as_role("admin")
    await admin.get("/admin/pengaduan")

    def refused(self):
        raise AssertionError("built for a page")

    monkeypatch.setattr(ASGIConnection, "url", property(refused))
    monkeypatch.setattr(ASGIConnection, "headers", property(refused))
    page = await admin.get("/admin/pengaduan?status=verified")
    assert page.status_code == 200
    assert 'name="next" value="/admin/pengaduan?status=verified"' in _header(page)
    fragment = await admin.get("/admin/pengaduan?status=verified", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert '<header class="top">' not in fragment.text and 'id="complaint-count"' in fragment.text
    boosted = await admin.get(
        "/admin/pengaduan", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert '<header class="top">' in boosted.text
    restore = await admin.get(
        "/admin/pengaduan", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert '<header class="top">' in restore.text
