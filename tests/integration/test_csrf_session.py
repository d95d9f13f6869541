"""The CSRF token is bound to the session: another person's cookie and token pair is refused,
the token is new at login and at logout, and the production cookie is `__Host-` bound."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar

from pengaduan.app import create_app
from tests.conftest import browser_client, log_in
from tests.factories import PASSWORD
from tests.support.databases import settings_for

TOKEN = re.compile(r'"x-csrftoken": "([^"]+)"')


async def _page_token(client: httpx.AsyncClient, path: str = "/") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.status_code
    token = TOKEN.search(page.text).group(1)
    # The cookie holds the same token (the copy that htmx's requests read).
    assert client.cookies["csrftoken"] == token
    assert f'name="_csrf_token" value="{token}"' in page.text
    return token


async def _log_in_by_form(client: httpx.AsyncClient, username: str) -> None:
    token = await _page_token(client, "/masuk")
    response = await client.post(
        "/masuk", data={"identifier": username, "password": PASSWORD, "_csrf_token": token}
    )
    assert response.status_code == 303


async def test_one_persons_session_with_anothers_csrf_pair_is_refused(
    app: Litestar, people: dict[str, int]
) -> None:
    async with browser_client(app, csrf=False) as a, browser_client(app) as b:
        await log_in(b, "petugas")
        await _log_in_by_form(a, "warga")
        b_token = await _page_token(b, "/akun")
        a_token = await _page_token(a, "/akun")
        a_session = a.cookies["sid"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as raw:
        # A's session cookie with B's csrftoken cookie and B's token, in the header or the form.
        forged = {"cookie": f"sid={a_session}; csrftoken={b_token}"}
        by_header = await raw.post(
            "/notifikasi/baca-semua", headers={**forged, "x-csrftoken": b_token}
        )
        assert by_header.status_code == 403
        by_form = await raw.post(
            "/notifikasi/baca-semua", headers=forged, data={"_csrf_token": b_token}
        )
        assert by_form.status_code == 403
        # A's own token goes through, whatever the cookie holds.
        ok = await raw.post("/notifikasi/baca-semua", headers=forged, data={"_csrf_token": a_token})
        assert ok.status_code == 303


async def test_the_token_is_new_at_login_and_at_logout(
    app: Litestar, people: dict[str, int]
) -> None:
    async with browser_client(app, csrf=False) as client:
        visitor = await _page_token(client, "/masuk")
        await _log_in_by_form(client, "warga")
        # The login's own answer carries the new token's cookie.
        signed_in = client.cookies["csrftoken"]
        assert signed_in != visitor
        assert await _page_token(client, "/akun") == signed_in
        # The visitor's token is worthless with the new session.
        stale = await client.post("/bahasa", data={"lang": "en", "_csrf_token": visitor})
        assert stale.status_code == 403
        assert "Formulir ini sudah kedaluwarsa" in stale.text  # says why, in the user's language

        response = await client.post("/keluar", data={"_csrf_token": signed_in})
        assert response.status_code == 303
        after = client.cookies["csrftoken"]
        assert after not in (signed_in, visitor)
        assert await _page_token(client, "/lacak") == after
        stale = await client.post("/bahasa", data={"lang": "en", "_csrf_token": signed_in})
        assert stale.status_code == 403
        fresh = await client.post("/bahasa", data={"lang": "en", "_csrf_token": after})
        assert fresh.status_code == 303


async def test_two_logins_of_one_account_have_different_tokens(
    app: Litestar, people: dict[str, int]
) -> None:
    async with browser_client(app) as phone, browser_client(app, csrf=False) as laptop:
        await log_in(phone, "warga")
        await _log_in_by_form(laptop, "warga")
        phone_token = await _page_token(phone, "/akun")
        assert phone_token != await _page_token(laptop, "/akun")
        refused = await laptop.post("/notifikasi/baca-semua", data={"_csrf_token": phone_token})
        assert refused.status_code == 403


async def test_the_production_cookie_is_host_bound_and_secure(app: Litestar, db_dsn: str) -> None:
    production = settings_for(
        db_dsn,
        PENGADUAN_MODE="production",
        PENGADUAN_SECRET_KEY="s" * 40,
        PENGADUAN_ENCRYPTION_KEYS="x" * 43 + "=",
        PENGADUAN_BLIND_INDEX_KEY="b" * 40,
        PENGADUAN_BCRYPT_ROUNDS="10",
    )
    transport = httpx.ASGITransport(app=create_app(production))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await client.get("/masuk")
    assert response.status_code == 200
    [header] = [h for h in response.headers.get_list("set-cookie") if "csrf" in h.lower()]
    name, _sep, rest = header.partition("=")
    assert name == "__Host-csrftoken"
    attributes = [part.strip().lower() for part in rest.split(";")[1:]]
    assert "secure" in attributes and "path=/" in attributes
    assert not any(a.startswith("domain") for a in attributes)
    token = TOKEN.search(response.text).group(1)
    assert header.startswith(f"__Host-csrftoken={token};")


async def test_static_files_set_no_csrf_cookie(client: httpx.AsyncClient) -> None:
    # Kept a year by shared caches: a cookie on them could hand one token to many visitors.
    response = await client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "csrftoken" not in response.headers.get("set-cookie", "")
