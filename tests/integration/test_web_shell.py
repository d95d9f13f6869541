"""The web shell: pages in both languages, Vary, errors for browsers and htmx, compression, static."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from litestar import Litestar, get

from pengaduan import db
from pengaduan.web.errors import user_error

HX = {"HX-Request": "true"}


async def test_home_page_is_indonesian_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert '<html lang="id">' in response.text
    assert "Laporkan masalah kepada pemerintah" in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_first_visit_follows_accept_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,id;q=0.5"})
    assert '<html lang="en">' in response.text
    assert "Report a problem to the government" in response.text


async def test_language_switch_is_remembered(client: httpx.AsyncClient) -> None:
    response = await client.post("/bahasa", data={"lang": "en", "next": "/?x=1"})
    assert response.status_code == 303
    assert response.headers["location"] == "/?x=1"
    cookie = response.headers["set-cookie"]
    assert "lang=en" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    # The choice beats the browser's preference from now on.
    page = await client.get("/", headers={"Accept-Language": "id"})
    assert "Report a problem to the government" in page.text


async def test_language_switch_never_redirects_off_site(client: httpx.AsyncClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil"):
        response = await client.post("/bahasa", data={"lang": "id", "next": target})
        assert response.headers["location"] == "/"


async def test_not_found_page_in_the_users_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/tidak-ada")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.text
    assert response.headers["content-type"].startswith("text/html")
    english = await client.get("/tidak-ada", headers={"Accept-Language": "en"})
    assert "Page not found" in english.text


async def test_htmx_error_is_a_toast_and_no_swap(client: httpx.AsyncClient) -> None:
    response = await client.get("/tidak-ada", headers=HX)
    assert response.status_code == 404
    assert response.text == ""
    assert response.headers["hx-reswap"] == "none"
    toast = json.loads(response.headers["hx-trigger"])["pengaduan:toast"]
    assert toast["title"] == "Halaman tidak ditemukan"
    assert "HX-Request" in response.headers["vary"]


async def test_method_not_allowed_page(client: httpx.AsyncClient) -> None:
    response = await client.delete("/")
    assert response.status_code == 405
    assert "Metode tidak diizinkan" in response.text


@get("/_test/boom", opt={"access": "anyone"})
async def _boom() -> str:
    raise RuntimeError("kaboom")


@get("/_test/forbidden", opt={"access": "anyone"})
async def _forbidden() -> str:
    raise user_error(403, "Bukan untuk Anda.")


@get("/_test/invalid", opt={"access": "anyone"})
async def _invalid() -> str:
    raise user_error(422, "Isian salah.")


@pytest.fixture(scope="session")
def error_routes(app: Litestar) -> Litestar:
    for handler in (_boom, _forbidden, _invalid):
        app.register(handler)
    return app


@pytest.mark.usefixtures("error_routes")
async def test_server_error_page_hides_the_cause(client: httpx.AsyncClient) -> None:
    response = await client.get("/_test/boom")
    assert response.status_code == 500
    assert "Terjadi kesalahan" in response.text
    assert "kaboom" not in response.text
    htmx = await client.get("/_test/boom", headers=HX)
    assert htmx.status_code == 500 and htmx.text == ""
    assert "pengaduan:toast" in htmx.headers["hx-trigger"]


@pytest.mark.usefixtures("error_routes")
async def test_messages_meant_for_people_are_shown(client: httpx.AsyncClient) -> None:
    forbidden = await client.get("/_test/forbidden")
    assert forbidden.status_code == 403
    assert "Bukan untuk Anda." in forbidden.text and "Akses ditolak" in forbidden.text
    invalid = await client.get("/_test/invalid", headers=HX)
    assert invalid.status_code == 422
    assert json.loads(invalid.headers["hx-trigger"])["pengaduan:toast"]["message"] == "Isian salah."


async def test_pages_are_compressed_with_brotli_or_gzip(client: httpx.AsyncClient) -> None:
    br = await client.get("/", headers={"Accept-Encoding": "br"})
    assert br.headers["content-encoding"] == "br"
    gz = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip"
    vary = {v.strip().lower() for v in br.headers["vary"].split(",")}
    assert {"accept-encoding", "hx-request"} <= vary


async def test_static_files_are_versioned_and_cached_for_a_year(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert any("htmx-2.0.11.min.js?v=" in u for u in urls)
    assert any("css/app.css?v=" in u for u in urls)
    for url in urls:
        response = await client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, url
        assert "max-age=31536000" in response.headers["cache-control"]
    js = await client.get(next(u for u in urls if "htmx" in u), headers={"Accept-Encoding": "br"})
    assert js.headers["content-encoding"] == "br"


async def test_htmx_is_configured_to_swap_invalid_forms(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']+)'", page).group(1))
    handling = {rule["code"]: rule for rule in config["responseHandling"]}
    assert handling["422"]["swap"] is True
    assert handling["[45].."]["swap"] is False


async def test_health_is_200_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "up"


async def test_health_is_503_when_the_database_is_down(client: httpx.AsyncClient) -> None:
    pool, config = db.ENGINE.pool, db.ENGINE.config
    # Point at a port where no server listens: a real failed connection, not a mock.
    db.ENGINE.pool = None
    db.ENGINE.config = {"dsn": "postgresql://nobody@127.0.0.1:9/none"}
    try:
        response = await client.get("/healthz")
    finally:
        db.ENGINE.pool, db.ENGINE.config = pool, config
    assert response.status_code == 503
    assert response.json()["database"] == "down"
