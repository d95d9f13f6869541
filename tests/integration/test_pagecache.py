"""The staff pages' cache: queue versions raised by the database, pages given again only while
nothing they show has changed, and the pool giving connections in order of asking."""

from __future__ import annotations

import asyncio
import dataclasses
import re

import asyncpg
import httpx
import pytest

from pengaduan import db
from pengaduan.accounts import sessions
from pengaduan.accounts.tables import User
from pengaduan.agency.tables import Category
from pengaduan.complaints import lifecycle
from pengaduan.complaints.lifecycle import Actor
from pengaduan.complaints.tables import Complaint
from pengaduan.db import ENGINE
from pengaduan.settings import Settings, load_settings
from pengaduan.web import pagecache
from tests.conftest import browser_client, log_in
from tests.factories import make_category, make_complaint, make_unit, make_user
from tests.support.waiting import wait_until_async


@pytest.fixture
async def data(people: dict[str, int]) -> dict[str, int]:
    other_unit = await make_unit("Dinas Lain")
    return {
        **people,
        "category": await make_category(people["unit"], "Jalan Rusak", deadline_days=7),
        "other_unit": other_unit,
        "other_category": await make_category(other_unit, "Sampah", deadline_days=7),
        "other_officer": await make_user("officer", "petugas.lain", unit=other_unit),
    }


async def _versions() -> dict[int, int]:
    rows = await db.fetch(
        "SELECT unit, sum(version)::bigint AS version FROM queue_versions GROUP BY unit"
    )
    return {row["unit"]: row["version"] for row in rows}


# --- the versions the database keeps ------------------------------------------------------------


async def test_complaint_changes_raise_their_units_versions_only(data: dict[str, int]) -> None:
    unit, other = data["unit"], data["other_unit"]
    before = await _versions()
    complaint = await make_complaint(reporter=data["citizen"], unit=unit, category=data["category"])
    after_insert = await _versions()
    assert after_insert[unit] == before.get(unit, 0) + 1
    assert after_insert.get(other, 0) == before.get(other, 0)

    await Complaint.update({Complaint.title: "Judul baru"}).where(Complaint.id == complaint)
    after_update = await _versions()
    assert after_update[unit] == after_insert[unit] + 1
    assert after_update.get(other, 0) == before.get(other, 0)

    # Moving to another unit: it leaves one queue and enters the other.
    await Complaint.update({Complaint.unit: other}).where(Complaint.id == complaint)
    after_move = await _versions()
    assert after_move[unit] == after_update[unit] + 1
    assert after_move[other] == after_update.get(other, 0) + 1

    await db.fetch("DELETE FROM status_history WHERE complaint = $1", complaint)
    await Complaint.delete().where(Complaint.id == complaint)
    assert (await _versions())[other] == after_move[other] + 1


async def test_shared_data_raises_the_shared_version(data: dict[str, int]) -> None:
    shared = (await _versions())[0]  # the categories made by the fixture raised it already
    await Category.update({Category.name: "Jalan dan Jembatan"}).where(
        Category.id == data["category"]
    )
    assert (await _versions())[0] == shared + 1
    await make_unit("Dinas Baru")
    assert (await _versions())[0] == shared + 2
    # What a queue shows of a user (name, role, unit, active) counts; the rest does not.
    await User.update({User.full_name: "Petugas Berganti Nama"}).where(User.id == data["officer"])
    assert (await _versions())[0] == shared + 3
    await User.update({User.language: "en"}).where(User.id == data["officer"])
    await User.update({User.full_name: "Petugas Berganti Nama"}).where(
        User.id == data["officer"]
    )  # the same value again
    assert (await _versions())[0] == shared + 3


async def test_a_rolled_back_change_raises_nothing(data: dict[str, int]) -> None:
    before = await _versions()
    with pytest.raises(RuntimeError):
        async with Complaint._meta.db.transaction():
            await make_complaint(
                reporter=data["citizen"], unit=data["unit"], category=data["category"]
            )
            raise RuntimeError("changed my mind")
    assert await _versions() == before


async def test_the_session_lookup_reads_the_staff_users_version(
    as_role, app, data: dict[str, int]
) -> None:
    settings = app.state.settings

    async def version_of(role: str) -> int | None:
        client = await as_role(role)
        user = await sessions.load_user(settings, client.cookies["sid"])
        assert user is not None and user.role == role
        return user.queue_version

    officer, admin = await version_of("officer"), await version_of("admin")
    assert await version_of("citizen") is None
    # The admin's queues include the officer's; that they show the other unit too is below
    # (its rows exist only once something of it changed: in a fresh database, not yet).
    assert officer <= admin
    # The officer's own unit raises theirs; another unit raises the admin's only.
    await make_complaint(reporter=data["citizen"], unit=data["unit"], category=data["category"])
    assert await version_of("officer") == officer + 1
    await make_complaint(
        reporter=data["citizen"], unit=data["other_unit"], category=data["other_category"]
    )
    assert await version_of("officer") == officer + 1
    assert await version_of("admin") == admin + 2


# --- pages given again while nothing changed --------------------------------------------------


async def test_the_queue_shows_each_change_at_once(
    as_role, data: dict[str, int], count_queries: list[str], settings: Settings
) -> None:
    d = data
    complaint = await make_complaint(
        reporter=d["citizen"], unit=d["unit"], category=d["category"], number="ADU-2026-000901"
    )
    officer: httpx.AsyncClient = await as_role("officer")
    first = await officer.get("/petugas/antrean")
    assert "ADU-2026-000901" in first.text and "Jalan Rusak" in first.text

    count_queries.clear()
    again = await officer.get("/petugas/antrean")
    assert again.text == first.text
    assert len(count_queries) == 1  # the session lookup only

    # A change in another unit leaves this unit's page as it was (still from the cache).
    await make_complaint(reporter=d["citizen"], unit=d["other_unit"], category=d["other_category"])
    count_queries.clear()
    assert (await officer.get("/petugas/antrean")).text == first.text
    assert len(count_queries) == 1

    # A status change through the lifecycle.
    staff = Actor(user_id=d["officer"], role="officer", unit_id=d["unit"])
    await lifecycle.apply(complaint, "verify", staff, settings=settings)
    page = await officer.get("/petugas/antrean")
    row = re.search(r'<li class="queue-row.*?</li>', page.text, re.S).group(0)
    assert "Terverifikasi" in row or "Verified" in row

    # A new complaint of the unit.
    await make_complaint(
        reporter=d["citizen"], unit=d["unit"], category=d["category"], number="ADU-2026-000902"
    )
    assert "ADU-2026-000902" in (await officer.get("/petugas/antrean")).text

    # The category renamed (shared data).
    await Category.update({Category.name: "Jalan dan Jembatan"}).where(Category.id == d["category"])
    assert "Jalan dan Jembatan" in (await officer.get("/petugas/antrean")).text

    # Forwarded to another unit: it leaves this queue.
    await Complaint.update({Complaint.unit: d["other_unit"]}).where(Complaint.id == complaint)
    assert "ADU-2026-000901" not in (await officer.get("/petugas/antrean")).text


async def test_without_the_page_cache_every_queue_page_is_rendered(
    app, as_role, data: dict[str, int], count_queries: list[str], settings: Settings
) -> None:
    """PENGADUAN_PAGE_CACHE=false (to measure the pages uncached): nothing is kept, every
    request reads the queue again, and the page is the same as a cached one."""
    d = data
    await make_complaint(
        reporter=d["citizen"], unit=d["unit"], category=d["category"], number="ADU-2026-000902"
    )
    officer: httpx.AsyncClient = await as_role("officer")
    kept = (await officer.get("/petugas/antrean")).text
    assert load_settings({"PENGADUAN_PAGE_CACHE": "false"}).page_cache is False
    pagecache.clear()
    app.state.settings = dataclasses.replace(settings, page_cache=False)
    try:
        for _ in range(2):
            count_queries.clear()
            page = await officer.get("/petugas/antrean")
            assert page.status_code == 200 and page.text == kept
            assert any("FROM complaints" in sql for sql in count_queries), count_queries
        assert pagecache._PAGES == {}
    finally:
        app.state.settings = settings


async def test_an_officers_own_action_shows_on_the_next_page(as_role, data: dict[str, int]) -> None:
    """Through the app, as in a browser: claim, then the queue (no waiting for anything)."""
    d = data
    complaint = await make_complaint(
        reporter=d["citizen"], unit=d["unit"], category=d["category"], number="ADU-2026-000911"
    )
    officer: httpx.AsyncClient = await as_role("officer")
    unassigned = await officer.get("/petugas/antrean?view=unassigned")
    assert "ADU-2026-000911" in unassigned.text
    claimed = await officer.post(f"/petugas/pengaduan/{complaint}/ambil")
    assert claimed.status_code in (200, 303), claimed.text
    assert "ADU-2026-000911" not in (await officer.get("/petugas/antrean?view=unassigned")).text
    assert "ADU-2026-000911" in (await officer.get("/petugas/antrean?view=mine")).text


async def test_each_visitor_gets_their_own_csrf_token(app, data: dict[str, int]) -> None:
    await make_complaint(reporter=data["citizen"], unit=data["unit"], category=data["category"])
    async with browser_client(app) as one, browser_client(app) as two:
        await log_in(one, "petugas")
        await log_in(two, "petugas")
        tokens = set()
        for client in (one, two, one, two):
            page = await client.get("/petugas/antrean")
            token = re.search(r'"x-csrftoken": "([^"]+)"', page.text).group(1)
            assert token == client.cookies["csrftoken"]
            assert f'name="_csrf_token" value="{token}"' in page.text
            assert "\x00" not in page.text
            tokens.add(token)
        assert len(tokens) == 2
        # And it works: the form on the page (as given from the cache) logs `one` out.
        page = await one.get("/petugas/antrean")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        response = await one.post("/keluar", data={"_csrf_token": token})
        assert response.status_code == 303


async def test_pages_differ_by_language_address_and_kind(as_role, data: dict[str, int]) -> None:
    await make_complaint(reporter=data["citizen"], unit=data["unit"], category=data["category"])
    officer: httpx.AsyncClient = await as_role("officer")
    indonesian = await officer.get("/petugas/antrean")
    fragment = await officer.get("/petugas/antrean", headers={"HX-Request": "true"})
    assert "<html" in indonesian.text and "<html" not in fragment.text
    filtered = await officer.get("/petugas/antrean?priority=urgent")
    assert filtered.text != indonesian.text
    await officer.post("/bahasa", data={"lang": "en", "next": "/petugas/antrean"})
    english = await officer.get("/petugas/antrean")
    assert 'lang="en"' in english.text and 'lang="id"' in indonesian.text


async def test_a_page_with_a_message_is_never_kept(as_role, data: dict[str, int]) -> None:
    complaint = await make_complaint(
        reporter=data["citizen"], unit=data["unit"], category=data["category"]
    )
    officer: httpx.AsyncClient = await as_role("officer")
    await officer.get("/petugas/antrean")
    # Without htmx, claiming redirects with a one-time message.
    response = await officer.post(f"/petugas/pengaduan/{complaint}/ambil")
    assert response.status_code == 303
    with_message = await officer.get("/petugas/antrean")
    assert 'class="alert' in with_message.text
    assert 'class="alert' not in (await officer.get("/petugas/antrean")).text


async def test_what_only_time_changes_is_rendered_again_each_step(
    as_role, data: dict[str, int], count_queries: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_complaint(reporter=data["citizen"], unit=data["unit"], category=data["category"])
    officer: httpx.AsyncClient = await as_role("officer")
    now = 1_800_000_000.0
    monkeypatch.setattr(pagecache, "_clock", lambda: now)
    await officer.get("/petugas/antrean")
    count_queries.clear()
    await officer.get("/petugas/antrean")
    assert len(count_queries) == 1
    now += pagecache.TIME_STEP_SECONDS
    count_queries.clear()
    await officer.get("/petugas/antrean")
    assert any("FROM complaints" in q for q in count_queries)


async def test_citizens_pages_are_not_kept(as_role, data: dict[str, int]) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    assert (await citizen.get("/petugas/antrean")).status_code == 403
    pagecache.clear()
    await citizen.get("/pengaduan-saya")
    assert pagecache._PAGES == {}


# --- the pool's order -------------------------------------------------------------------------


async def test_the_pool_serves_connections_in_order_of_asking(app) -> None:
    """Whoever asks while others wait does not overtake them. (asyncpg's pool alone hands a
    returned connection to whoever asks next: with `db.pooled` taking `ENGINE.pool.acquire()` straight, the latecomers
    below get their connections before w0..w4.)"""
    size = app.state.settings.db_pool_max
    order: list[str] = []
    holding: list[int] = []
    late: list[asyncio.Task] = []
    release, all_taken = asyncio.Event(), asyncio.Event()

    asked: list[str] = []

    async def ask(name: str) -> None:
        asked.append(name)  # nothing awaited from here until it waits for its turn
        async with db.pooled():
            order.append(name)
            await asyncio.sleep(0)

    async def hold(i: int) -> None:
        async with db.pooled():
            holding.append(i)
            if len(holding) == size:
                all_taken.set()
            await release.wait()
            # A newcomer asks just as this connection is handed back.
            late.append(asyncio.create_task(ask(f"late{i}")))

    holders = [asyncio.create_task(hold(i)) for i in range(size)]
    await all_taken.wait()
    waiters = [asyncio.create_task(ask(f"w{i}")) for i in range(5)]
    await wait_until_async(lambda: len(asked) == 5, "every waiter waiting for its turn")
    release.set()
    await asyncio.gather(*holders, *waiters)
    await asyncio.gather(*late)
    assert order[:5] == [f"w{i}" for i in range(5)], order


async def test_a_connection_comes_back_clean(app) -> None:
    """Our reset skips asyncpg's reset query; an unfinished transaction is still rolled back."""
    async with db.pooled() as conn:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("CREATE TEMP TABLE IF NOT EXISTS leftover (x int)")
        pid = conn.get_server_pid()
    for _ in range(ENGINE.pool.get_size()):
        async with db.pooled() as conn:
            assert not conn.is_in_transaction()
            if conn.get_server_pid() == pid:
                assert await conn.fetchval("SELECT to_regclass('pg_temp.leftover')") is None


async def test_pool_connections_set_no_session_state() -> None:
    """What `_keep_session` relies on: nothing in the app sets session state on a pooled
    connection (LISTEN and session advisory locks live on connections of their own)."""
    from pathlib import Path

    source = Path(db.__file__).parent
    offenders = []
    for path in source.rglob("*.py"):
        text = path.read_text()
        for pattern in (r"\bSET\s+(?!LOCAL)(?:SESSION\s+)?\w+\s*(?:=|TO)\b", r"pg_advisory_lock\("):
            for match in re.finditer(pattern, text):
                offenders.append(f"{path.name}: {match.group(0)}")
    allowed = {"scheduler.py"}  # its advisory lock is on a connection of its own
    assert [o for o in offenders if o.split(":")[0] not in allowed] == []


def test_asyncpg_is_what_we_know() -> None:
    # `reset=` (asyncpg 0.30+) is what lets a released connection skip the reset query.
    major, minor = (int(x) for x in asyncpg.__version__.split(".")[:2])
    assert (major, minor) >= (0, 30)


# --- fragments shared by the officers of a unit ------------------------------------------------


async def test_officers_of_a_unit_share_the_rendered_list_but_not_their_own(
    app, as_role, data: dict[str, int], count_queries: list[str]
) -> None:
    d = data
    second = await make_user("officer", "petugas.dua", unit=d["unit"])
    await make_complaint(
        reporter=d["citizen"], unit=d["unit"], category=d["category"], number="ADU-2026-000921"
    )
    await make_complaint(
        reporter=d["citizen"],
        unit=d["unit"],
        category=d["category"],
        number="ADU-2026-000922",
        officer=second,
    )
    await make_complaint(
        reporter=d["citizen"],
        unit=d["other_unit"],
        category=d["other_category"],
        number="ADU-2026-000923",
    )
    first: httpx.AsyncClient = await as_role("officer")
    page = await first.get("/petugas/antrean")
    assert "ADU-2026-000921" in page.text and "ADU-2026-000922" in page.text
    async with browser_client(app) as other, browser_client(app) as elsewhere:
        await log_in(other, "petugas.dua")
        await log_in(elsewhere, "petugas.lain")
        # The second officer's first visit: list and form already rendered for the unit.
        count_queries.clear()
        theirs = await other.get("/petugas/antrean")
        assert len(count_queries) == 1, count_queries
        assert "ADU-2026-000921" in theirs.text and "Petugas.Dua" in theirs.text
        assert "Petugas</a>" not in theirs.text  # the header names its own reader
        # "Assigned to me" is each officer's own.
        assert "ADU-2026-000922" not in (await first.get("/petugas/antrean?view=mine")).text
        assert "ADU-2026-000922" in (await other.get("/petugas/antrean?view=mine")).text
        # Another unit never gets this unit's list.
        foreign = await elsewhere.get("/petugas/antrean")
        assert "ADU-2026-000923" in foreign.text and "ADU-2026-000921" not in foreign.text
        # The list refresh of the second officer comes from the shared list as well.
        count_queries.clear()
        fragment = await other.get("/petugas/antrean", headers={"HX-Request": "true"})
        assert "ADU-2026-000921" in fragment.text and "<html" not in fragment.text
        assert len(count_queries) <= 3


async def test_admins_do_not_share_officers_lists(as_role, data: dict[str, int]) -> None:
    d = data
    await make_complaint(
        reporter=d["citizen"],
        unit=d["other_unit"],
        category=d["other_category"],
        number="ADU-2026-000931",
    )
    officer: httpx.AsyncClient = await as_role("officer")
    admin: httpx.AsyncClient = await as_role("admin")
    assert "ADU-2026-000931" not in (await officer.get("/petugas/antrean")).text
    assert "ADU-2026-000931" in (await admin.get("/petugas/antrean")).text
    assert "ADU-2026-000931" not in (await officer.get("/petugas/antrean")).text


def test_a_fragment_with_a_csrf_token_is_never_shared() -> None:
    class Request:
        scope = {"user": None}

    from litestar.utils.scope.state import ScopeState

    request = Request()
    request.scope = {}
    ScopeState.from_scope(request.scope).csrf_token = "tok123"
    pagecache.clear()
    pagecache.keep_shared(request, ("shared", "x"), '<input value="tok123">')
    assert pagecache.shared(("shared", "x")) is None
    pagecache.keep_shared(request, ("shared", "y"), "<p>no token</p>")
    assert pagecache.shared(("shared", "y")) == "<p>no token</p>"
