"""Public pages kept per public version and answered with validators: 304 on a matching ETag,
a new ETag after any public change, nothing personal in an answer a shared cache may keep,
signed-in visitors never public."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.complaints.tables import Complaint
from pengaduan.web import flash, publiccache
from tests.conftest import browser_client
from tests.factories import make_category, make_complaint

SHARED = ["/", "/arsip", "/arsip?q=jalan", "/transparansi"]
ALL = [*SHARED, "/lacak"]
TOKENS = re.compile(r"x-csrftoken|_csrf_token")


@pytest.fixture
async def world(people: dict[str, int]) -> dict[str, int]:
    category = await make_category(people["unit"], "Jalan Rusak", deadline_days=7)
    await make_complaint(
        reporter=people["citizen"],
        unit=people["unit"],
        category=category,
        is_public=True,
        status="in_progress",
    )
    return {**people, "category": category}


async def _fresh_get(app: Litestar, path: str, **headers: str) -> httpx.Response:
    """A first visit: no cookies at all."""
    async with browser_client(app, csrf=False) as visitor:
        return await visitor.get(path, headers=headers)


def _home_total(html: str) -> int:
    match = re.search(r'<ul class="stats">\s*<li><strong>([\d.,]+)</strong>', html)
    assert match, "no counts on the home page"
    return int(match.group(1).replace(".", "").replace(",", ""))


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("path", ALL)
async def test_a_matching_etag_gets_304(
    app: Litestar, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tag also names the minute (publiccache.TIME_STEP_SECONDS): held still, so requests
    # that straddle a minute's end do not see a new page (the test failed then, now and again).
    now = publiccache.TIME_STEP_SECONDS * 1_000_000 + 1
    monkeypatch.setattr(publiccache, "_clock", lambda: now)
    async with browser_client(app, csrf=False) as visitor:
        first = await visitor.get(path)
        assert first.status_code == 200
        etag = first.headers["etag"]
        again = await visitor.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == first.headers["cache-control"]
        # Weak comparison, as a proxy may send it; another tag renders.
        assert (await visitor.get(path, headers={"If-None-Match": "W/" + etag})).status_code == 304
        other = await visitor.get(path, headers={"If-None-Match": '"nope"'})
        assert other.status_code == 200 and other.headers["etag"] == etag


@pytest.mark.parametrize("path", SHARED)
async def test_the_etag_changes_when_a_public_complaint_is_filed_or_changes(
    app: Litestar, world: dict[str, int], path: str
) -> None:
    before = (await _fresh_get(app, path)).headers["etag"]
    complaint = await make_complaint(
        reporter=world["citizen"], unit=world["unit"], category=world["category"], is_public=True
    )
    filed = (await _fresh_get(app, path)).headers["etag"]
    assert filed != before
    await Complaint.update({Complaint.status: "resolved"}).where(Complaint.id == complaint)
    changed = await _fresh_get(app, path, **{"If-None-Match": filed})
    assert changed.status_code == 200 and changed.headers["etag"] != filed


async def test_home_counts_are_fresh_right_after_a_change(
    app: Litestar, world: dict[str, int]
) -> None:
    assert _home_total((await _fresh_get(app, "/")).text) == 1
    assert _home_total((await _fresh_get(app, "/")).text) == 1  # kept, same answer
    complaint = await make_complaint(
        reporter=world["citizen"], unit=world["unit"], category=world["category"], is_public=True
    )
    assert _home_total((await _fresh_get(app, "/")).text) == 2
    await Complaint.update({Complaint.is_public: False}).where(Complaint.id == complaint)
    assert _home_total((await _fresh_get(app, "/")).text) == 1


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("path", SHARED)
async def test_a_public_answer_carries_nothing_of_one_visitor(app: Litestar, path: str) -> None:
    first = await _fresh_get(app, path)
    assert first.headers["cache-control"].startswith("public, max-age=")
    assert "set-cookie" not in first.headers  # no CSRF cookie a proxy would hand on
    assert not TOKENS.search(first.text)
    # The language switch works without a token: a GET form.
    assert '<form class="lang" method="get" action="/bahasa"' in first.text
    # A visitor who has a CSRF cookie already gets the very same page.
    async with browser_client(app, csrf=False) as known:
        await known.get("/lacak")
        assert "csrftoken" in known.cookies
        page = await known.get(path)
        assert page.headers["cache-control"].startswith("public")
        assert page.text == first.text and page.headers["etag"] == first.headers["etag"]
        assert not TOKENS.search(page.text) and "set-cookie" not in page.headers


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("path", SHARED)
async def test_a_flash_makes_the_answer_private(app: Litestar, path: str) -> None:
    message = flash._serializer(app.state.settings.secret_key).dumps([["ok", "Pesan untuk Anda"]])
    page = await _fresh_get(app, path, cookie=f"flash={message}")
    assert page.status_code == 200
    assert page.headers["cache-control"].startswith("private")
    assert "etag" not in page.headers
    assert "Pesan untuk Anda" in page.text
    # And it was not kept for the next visitor.
    assert "Pesan untuk Anda" not in (await _fresh_get(app, path)).text


@pytest.mark.usefixtures("world")
async def test_the_tracking_form_keeps_its_token_and_stays_private(app: Litestar) -> None:
    tags = set()
    for _visitor in range(2):
        async with browser_client(app, csrf=False) as visitor:
            page = await visitor.get("/lacak")
            token = visitor.cookies["csrftoken"]
            assert f'name="_csrf_token" value="{token}"' in page.text
            assert page.headers["cache-control"].startswith("private")
            tags.add(page.headers["etag"])
            again = await visitor.get("/lacak", headers={"If-None-Match": page.headers["etag"]})
            assert again.status_code == 304
    assert len(tags) == 2  # one visitor's tag is not another's


@pytest.mark.parametrize("path", ALL)
@pytest.mark.parametrize("role", ["citizen", "officer", "admin"])
async def test_signed_in_answers_are_never_public(
    as_role, world: dict[str, int], path: str, role: str
) -> None:
    client = await as_role(role)
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["cache-control"].startswith("private")
    assert "etag" not in page.headers
    assert client.cookies["csrftoken"] in page.text  # their own token, rendered for them


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("path", ALL)
async def test_vary_names_what_changes_the_page(app: Litestar, path: str) -> None:
    vary = {v.strip().lower() for v in (await _fresh_get(app, path)).headers["vary"].split(",")}
    assert {"hx-request", "cookie", "accept-language"} <= vary


@pytest.mark.usefixtures("world")
async def test_languages_and_fragments_have_their_own_tags(app: Litestar) -> None:
    indonesian = await _fresh_get(app, "/arsip")
    english = await _fresh_get(app, "/arsip", **{"Accept-Language": "en"})
    fragment = await _fresh_get(app, "/arsip", **{"HX-Request": "true"})
    assert len({r.headers["etag"] for r in (indonesian, english, fragment)}) == 3
    assert indonesian.text != english.text
    stale = await _fresh_get(
        app, "/arsip", **{"Accept-Language": "en", "If-None-Match": indonesian.headers["etag"]}
    )
    assert stale.status_code == 200


async def test_the_get_language_switch_sets_the_cookie_only(app: Litestar) -> None:
    async with browser_client(app, csrf=False) as visitor:
        response = await visitor.get("/bahasa", params={"lang": "en", "next": "/arsip?q=x"})
        assert response.status_code == 303
        assert response.headers["location"] == "/arsip?q=x"
        assert visitor.cookies["lang"] == "en"
        page = await visitor.get("/arsip")
        assert '<html lang="en">' in page.text
        away = await visitor.get("/bahasa", params={"lang": "id", "next": "//evil.example"})
        assert away.headers["location"] == "/"


def test_the_memo_is_bounded() -> None:
    publiccache.clear()
    for n in range(publiccache.MAX_ENTRIES + 10):
        publiccache._keep(("page", n), ("x", 200))
    assert len(publiccache._PAGES) == publiccache.MAX_ENTRIES
    assert ("page", 0) not in publiccache._PAGES
    publiccache.clear()


async def test_concurrent_requests_share_the_version_query_and_stay_fresh(
    app: Litestar, world: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    original = db.fetch

    async def counting(sql: str, *args):
        sent.append(sql)
        return await original(sql, *args)

    monkeypatch.setattr(db, "fetch", counting)
    versions = await asyncio.gather(*(publiccache.public_version() for _ in range(50)))
    assert len(set(versions)) == 1
    assert len(sent) <= 2  # the first request's query, and one for all who came meanwhile
    # A change committed before a request arrives is in the version it gets.
    await make_complaint(
        reporter=world["citizen"], unit=world["unit"], category=world["category"], is_public=True
    )
    assert await publiccache.public_version() > versions[0]


@pytest.mark.usefixtures("world")
async def test_a_crowd_on_a_cold_page_builds_it_once(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flash crowd arriving on a page not kept yet (a cold start, a new version) waits for
    the first visitor's build instead of each running the page's queries: at a million
    complaints the transparency figures take half a second, and a hundred at once never
    finished within wrk's ten seconds."""
    from pengaduan.statistics import figures, public

    built: list[int] = []
    original = figures.compute

    async def counted(*args, **kwargs):
        built.append(1)
        await asyncio.sleep(0.2)  # long enough for the whole crowd to miss the cache
        return await original(*args, **kwargs)

    monkeypatch.setattr(figures, "compute", counted)
    publiccache.clear()
    public.clear_public_cache()
    async with browser_client(app, csrf=False) as visitor:
        answers = await asyncio.gather(*(visitor.get("/transparansi") for _ in range(20)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert len(built) == 1


async def test_a_signed_in_visitor_gets_the_kept_figures_rendered_for_them(
    as_role, world: dict[str, int], count_queries: list[str]
) -> None:
    """The figures are public and the same for everyone: kept per public version for signed-in
    visitors too (read once, not per visit), fresh right after a change; only the rendering
    is theirs."""
    citizen = await as_role("citizen")
    officer = await as_role("officer")
    publiccache.clear()
    assert _home_total((await citizen.get("/")).text) == 1
    count_queries.clear()
    page = await officer.get("/")
    # The session lookup and the public version; not the counts, categories and recent list.
    assert len(count_queries) == 2, count_queries
    assert _home_total(page.text) == 1 and officer.cookies["csrftoken"] in page.text
    assert "Petugas" in page.text and page.headers["cache-control"].startswith("private")
    await make_complaint(
        reporter=world["citizen"], unit=world["unit"], category=world["category"], is_public=True
    )
    assert _home_total((await officer.get("/")).text) == 2
