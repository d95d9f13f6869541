"""Reliability: citizens keep filing complaints while a worker is killed and PostgreSQL
crashes and restarts. Every complaint the server acknowledged is there exactly once, none
twice, and nothing was answered 500.

A real `pengaduan serve --workers 2` runs against a PostgreSQL of this test's own (the run's
shared server is never crashed). The citizens act as browsers do: each logs in, opens the
form, sends it with the form's CSRF token and idempotency key, and sends the same form again
when the answer is a 503 or the connection broke.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import asyncpg
import httpx
import pytest

from pengaduan import db
from pengaduan.db import embedded, migrations
from tests.factories import PASSWORD, make_unit, make_user
from tests.support.mail import SmtpSink
from tests.support.net import free_port
from tests.support.postgres import OwnPostgres, own_postgres
from tests.support.waiting import wait_until_async

CITIZENS = 10
COMPLAINTS_EACH = 5
# The whole test stays within this (start-up included).
DEADLINE_SECONDS = 60


def hidden(html: str, name: str) -> str:
    return unescape(re.search(rf'name="{name}" value="([^"]*)"', html).group(1))


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)
    broken_connections: int = 0
    # idempotency key -> (title, the complaint the server acknowledged)
    acknowledged: dict[str, tuple[str, int]] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)


class Server:
    """`pengaduan serve --workers 2` with its log in a file (never a pipe)."""

    def __init__(self, dsn: str, folder: Path, mailbox: SmtpSink) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PENGADUAN_")}
        env.update(
            PENGADUAN_MODE="development",
            PENGADUAN_DATA_DIR=str(folder / "app"),
            PENGADUAN_BCRYPT_ROUNDS="4",
            PENGADUAN_BASE_URL=self.url,
            DATABASE_URL=dsn,
            **mailbox.settings_env(),
        )
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "pengaduan.cli", "serve", "--workers", "2"),
                *("--port", str(self.port), "--no-access-log"),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def workers(self) -> list[int]:
        """The uvicorn worker processes (spawned children; not multiprocessing's helper)."""
        found = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"spawn_main" in cmdline:
                    found.append(int(pid))
        return found

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture
async def world(data_dir: Path, smtp_sink: SmtpSink) -> AsyncIterator[tuple[OwnPostgres, Server]]:
    from pengaduan.agency.tables import Category

    with own_postgres(data_dir) as pg:
        dsn = db.with_database(pg.server_dsn, db.APP_DATABASE)
        await embedded.ensure_database_exists(pg.server_dsn, db.APP_DATABASE)
        await migrations.migrate(dsn)
        async with migrations.engine_at(dsn):
            unit = await make_unit()
            await Category.insert(Category(name="Jalan", default_unit=unit, deadline_days=7))
            for n in range(CITIZENS):
                await make_user("citizen", f"warga{n}")
        server = Server(dsn, data_dir, smtp_sink)
        try:
            yield pg, server
        finally:
            server.stop()


async def healthy(server: Server) -> bool:
    assert server.proc.poll() is None, f"the server exited:\n{server.output()[-5000:]}"
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(f"{server.url}/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


async def send(
    client: httpx.AsyncClient, tally: Tally, method: str, url: str, **kwargs
) -> httpx.Response:
    """One request as a person would make it: sent again (the same request, the same form)
    after a 503 or a broken connection, until it is answered."""
    while True:
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError:
            tally.broken_connections += 1
        else:
            tally.statuses[response.status_code] += 1
            if response.status_code != 503:
                return response
            assert response.headers.get("retry-after"), "a 503 without Retry-After"
        # A person waits a moment before pressing again (not the Retry-After: the test is
        # bounded, and the worst a short wait costs is another 503).
        await asyncio.sleep(0.1)


async def citizen(server: Server, n: int, tally: Tally, started: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        login = await send(client, tally, "GET", "/masuk")
        answer = await send(
            client,
            tally,
            "POST",
            "/masuk",
            data={
                "_csrf_token": hidden(login.text, "_csrf_token"),
                "identifier": f"warga{n}",
                "password": PASSWORD,
            },
        )
        assert answer.status_code == 303, answer.text[:2000]
        for i in range(COMPLAINTS_EACH):
            form = await send(client, tally, "GET", "/pengaduan/baru")
            if form.status_code != 200:
                tally.unexpected.append(f"GET /pengaduan/baru: {form.status_code}")
                return
            key = hidden(form.text, "idempotency_key")
            title = f"Jalan rusak nomor {n}-{i}"
            fields = {
                "_csrf_token": hidden(form.text, "_csrf_token"),
                "idempotency_key": key,
                "title": title,
                "description": "Lubang besar di tengah jalan, berbahaya bagi pengendara motor.",
                "category": re.search(r'name="category" value="(\d+)"', form.text).group(1),
                "location_text": f"Jl. Merdeka No. {n}",
                "urgency": "normal",
            }
            # Multipart with an empty file field, as a browser sends this form.
            sent = await send(
                client,
                tally,
                "POST",
                "/pengaduan/baru",
                data=fields,
                files=[("evidence", ("", b"", "application/octet-stream"))],
            )
            location = sent.headers.get("location", "")
            match = re.fullmatch(r"/pengaduan/(\d+)/terkirim", location)
            if sent.status_code != 303 or not match:
                tally.unexpected.append(f"POST /pengaduan/baru: {sent.status_code} {location}")
                return
            tally.acknowledged[key] = (title, int(match.group(1)))
            started.set()


async def test_acknowledged_complaints_survive_a_killed_worker_and_a_database_crash(
    world: tuple[OwnPostgres, Server],
) -> None:
    pg, server = world
    began = time.monotonic()
    await wait_until_async(lambda: healthy(server), "the server answering /healthz", 60)
    await wait_until_async(lambda: len(server.workers()) == 2, "two workers", 30)
    tally = Tally()
    started = asyncio.Event()
    load = [asyncio.create_task(citizen(server, n, tally, started)) for n in range(CITIZENS)]

    try:
        # Once complaints are flowing: kill a worker and crash the database; it comes back only
        # once uvicorn's new worker is waiting for it (uvicorn stops the whole server when a new
        # worker fails to start).
        await asyncio.wait_for(started.wait(), 30)
        victim = server.workers()[0]
        os.kill(victim, signal.SIGKILL)
        await asyncio.to_thread(pg.stop_immediately)

        async def replacement_waiting() -> bool:
            workers = server.workers()
            waiting = "waiting up to" in server.output()
            return len(workers) == 2 and victim not in workers and waiting

        await wait_until_async(
            replacement_waiting, "uvicorn's new worker waiting for the database", 30
        )
        await asyncio.to_thread(pg.start)
        remaining = DEADLINE_SECONDS - (time.monotonic() - began)
        done, pending = await asyncio.wait(load, timeout=max(remaining, 1))
        assert not pending, f"citizens still sending after {DEADLINE_SECONDS} s: {tally}"
    finally:
        for task in load:
            task.cancel()
        await asyncio.gather(*load, return_exceptions=True)
    for task in done:
        task.result()
    await wait_until_async(lambda: healthy(server), "the server healthy after the crash", 30)

    assert tally.statuses[500] == 0, tally.statuses
    assert not tally.unexpected, tally.unexpected
    assert len(tally.acknowledged) == CITIZENS * COMPLAINTS_EACH

    conn = await asyncpg.connect(db.with_database(pg.server_dsn, db.APP_DATABASE))
    try:
        rows = await conn.fetch("SELECT id, title, idempotency_key FROM complaints")
    finally:
        await conn.close()
    by_key = Counter(r["idempotency_key"] for r in rows)
    assert not [k for k, n in by_key.items() if n > 1], "a form stored twice"
    assert sorted((r["title"], r["id"]) for r in rows) == sorted(tally.acknowledged.values())
    stored = {r["idempotency_key"]: (r["title"], r["id"]) for r in rows}
    assert stored == tally.acknowledged

    # A warning line per worker for the outage, not a traceback per request or per retry.
    log = server.output()
    assert "Traceback" not in log, log[-8000:]
    print(
        f"\n{len(rows)} complaints, answers {dict(tally.statuses)}, "
        f"{tally.broken_connections} broken connection(s), "
        f"{time.monotonic() - began:.1f} s"
    )
