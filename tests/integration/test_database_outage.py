"""A database outage under the in-process app: 503 pages that keep what was typed, one log
line, /healthz 503, and recovery by itself. The app runs on a PostgreSQL server of this test's
own, which it stops and starts (the run's shared server is left alone)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path

import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.app import create_app
from pengaduan.db import embedded, migrations
from pengaduan.live.channels import LiveChannels
from tests.conftest import browser_client, log_in, running
from tests.factories import make_unit, make_user
from tests.support.databases import settings_for
from tests.support.mail import SmtpSink
from tests.support.postgres import OwnPostgres, own_postgres
from tests.support.waiting import wait_until_async


class Outage:
    def __init__(self, app: Litestar, pg: OwnPostgres, mailbox: SmtpSink) -> None:
        self.app = app
        self.pg = pg
        self.mailbox = mailbox


@pytest.fixture
async def outage(data_dir: Path, smtp_sink: SmtpSink) -> AsyncIterator[Outage]:
    """The app (its lifespan running) on a server of its own, with a citizen and a category.

    The engine and its pool are process-wide: the run's own are put aside meanwhile."""
    from pengaduan.agency.tables import Category

    with own_postgres(data_dir) as pg:
        dsn = db.with_database(pg.server_dsn, db.APP_DATABASE)
        await embedded.ensure_database_exists(pg.server_dsn, db.APP_DATABASE)
        await migrations.migrate(dsn)
        saved_pool, saved_config = db.ENGINE.pool, db.ENGINE.config
        db.ENGINE.pool = None
        app = create_app(
            settings_for(dsn, PENGADUAN_DATA_DIR=str(data_dir / "app"), **smtp_sink.settings_env())
        )
        try:
            async with running(app):
                unit = await make_unit()
                await make_user("citizen", "warga")
                await Category.insert(Category(name="Jalan", default_unit=unit, deadline_days=7))
                yield Outage(app, pg, smtp_sink)
        finally:
            db.ENGINE.pool, db.ENGINE.config = saved_pool, saved_config


def form_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def hidden_fields(html: str) -> dict[str, str]:
    """The fields of the 503 page's form that sends the request again (the page's CSRF
    token is a fresh one)."""
    form = re.search(r'<form id="resend".*?</form>', html, re.S).group(0)
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
        if name != "_csrf_token"
    }


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_an_outage_answers_503_keeps_the_form_logs_once_and_recovers(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with browser_client(outage.app) as citizen, browser_client(outage.app) as visitor:
        await log_in(citizen, "warga")
        new_form = await citizen.get("/pengaduan/baru")
        key = form_key(new_form.text)
        category = re.search(r'name="category" value="(\d+)"', new_form.text).group(1)
        await visitor.get("/lacak")
        typed = {
            "idempotency_key": key,
            "title": 'Jalan "berlubang" <dekat> pasar',
            "description": "Lubang besar sekitar satu meter, dua motor jatuh minggu ini.",
            "category": category,
            "location_text": "Jl. Merdeka No. 5",
            "urgency": "high",
        }
        caplog.clear()

        outage.pg.stop_immediately()

        # A page for a logged-in citizen: the session lookup is the first to fail.
        page = await citizen.get("/pengaduan/baru")
        assert page.status_code == 503
        assert page.headers["retry-after"].isdigit()
        assert "Sementara tidak tersedia" in page.text
        assert "belum ada yang tersimpan" in page.text
        assert page.headers["cache-control"] == "no-store"

        # The complaint form (multipart, with a photo): the typed values come back as a form
        # that sends them again, the same idempotency key among them.
        sent = await citizen.post(
            "/pengaduan/baru",
            data=typed,
            files=[("evidence", ("lubang.jpg", b"\xff\xd8not-really", "image/jpeg"))],
        )
        assert sent.status_code == 503
        assert "Kirim lagi" in sent.text
        assert 'action="/pengaduan/baru"' in sent.text
        assert 'enctype="multipart/form-data"' in sent.text
        assert hidden_fields(sent.text).items() >= typed.items()
        assert "Berkas yang Anda lampirkan tidak ikut terkirim" in sent.text

        # An urlencoded form of an anonymous visitor fails in its handler, not before.
        tracked = await visitor.post("/lacak", data={"number": "ADU-2026-000001", "code": "X7"})
        assert tracked.status_code == 503
        assert 'enctype="application/x-www-form-urlencoded"' in tracked.text
        assert hidden_fields(tracked.text) == {"number": "ADU-2026-000001", "code": "X7"}

        # htmx: a toast and no swap, so the form on the page stays as typed.
        fragment = await citizen.get("/pengaduan-saya", headers={"HX-Request": "true"})
        assert fragment.status_code == 503
        assert fragment.headers["hx-reswap"] == "none"
        assert "belum ada yang tersimpan" in fragment.headers["hx-trigger"]
        assert fragment.headers["retry-after"].isdigit()

        health = await visitor.get("/healthz")
        assert health.status_code == 503

        # One warning for the whole outage, no traceback, nothing logged as an error.
        warnings = outage_lines(caplog)
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        assert "database unreachable" in warnings[0].getMessage()
        assert warnings[0].exc_info is None

        outage.pg.start()

        async def healthy() -> bool:
            return (await visitor.get("/healthz")).status_code == 200

        await wait_until_async(healthy, "the app healthy", 30)
        # Sent again from the 503 page: stored once, however often it is sent.
        again = hidden_fields(sent.text)
        first = await citizen.post("/pengaduan/baru", data=again, files=[("evidence", ("", b""))])
        second = await citizen.post("/pengaduan/baru", data=again, files=[("evidence", ("", b""))])
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"]
        assert (await citizen.get("/pengaduan/baru")).status_code == 200

        async def recovery_logged() -> bool:
            return any("reachable again" in r.getMessage() for r in caplog.records)

        await wait_until_async(recovery_logged, "the recovery logged", 30)
        # The live events' LISTEN connection came back by itself.
        listen = outage.app.plugins.get(LiveChannels).backend

        async def listening_again() -> bool:
            return listen.reconnects >= 1 and not listen._listener_conn.is_closed()

        await wait_until_async(listening_again, "listening again", 30)
        # The outbox worker came through the outage: the complaint's receipt is mailed.
        await outage.mailbox.wait_for_async(1, to="warga@uji.test", timeout=30)
        warnings = outage_lines(caplog)
        assert len(warnings) == 2, [r.getMessage() for r in warnings]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_pool_connection_cut_by_a_crash_restart_is_replaced(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    """A crash restart cuts every pooled connection: requests meanwhile answer 503 (never
    500), and the pool reconnects by itself once the server is back."""
    async with browser_client(outage.app) as citizen:
        await log_in(citizen, "warga")
        assert (await citizen.get("/pengaduan-saya")).status_code == 200
        outage.pg.restart_immediately()
        statuses = set()

        async def answered_200() -> bool:
            status = (await citizen.get("/pengaduan-saya")).status_code
            statuses.add(status)
            return status == 200

        await wait_until_async(answered_200, "a 200 answer", 30)
        assert statuses <= {200, 503}
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


class Lines(logging.Handler):
    """The messages of one logger (start-up reconfigures the root logger, and caplog's
    handler with it)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def test_a_worker_starting_while_the_database_is_down_waits_for_it(data_dir: Path) -> None:
    """uvicorn replaces a worker that died, and stops the whole server if the new one fails
    to start: a worker that finds the database restarting waits for it (one warning)."""
    with own_postgres(data_dir) as pg:
        dsn = db.with_database(pg.server_dsn, db.APP_DATABASE)
        await embedded.ensure_database_exists(pg.server_dsn, db.APP_DATABASE)
        await migrations.migrate(dsn)
        pg.stop_immediately()
        saved_pool, saved_config = db.ENGINE.pool, db.ENGINE.config
        db.ENGINE.pool = None
        app = create_app(settings_for(dsn, PENGADUAN_OUTBOX_IN_APP="false"))
        started, stop = asyncio.Event(), asyncio.Event()

        async def run_lifespan() -> None:
            async with app.lifespan():
                started.set()
                await stop.wait()

        lines = Lines()
        logging.getLogger("pengaduan.outages").addHandler(lines)
        task = asyncio.create_task(run_lifespan())
        try:

            async def waiting() -> bool:
                assert not task.done(), task.exception()
                return any("waiting up to" in line for line in lines.messages)

            await wait_until_async(waiting, "the worker waiting for the database", 30)
            assert not started.is_set()
            await asyncio.to_thread(pg.start)
            await asyncio.wait_for(started.wait(), 30)
            async with browser_client(app) as visitor:
                assert (await visitor.get("/healthz")).status_code == 200
        finally:
            logging.getLogger("pengaduan.outages").removeHandler(lines)
            stop.set()
            await asyncio.gather(task, return_exceptions=True)
            db.ENGINE.pool, db.ENGINE.config = saved_pool, saved_config
