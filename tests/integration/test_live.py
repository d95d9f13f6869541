"""The live event stream (GET /langsung) against the real database: who hears which events
(a citizen their own complaints only, an officer their unit's), heartbeats, the session
checked again, and the subscription ended when the browser goes away.

The stream is driven as an ASGI call with its own receive/send (httpx's ASGI transport waits
for the whole body, which a stream never finishes), so events arrive chunk by chunk, the way
uvicorn passes them on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from pengaduan.complaints import lifecycle
from pengaduan.complaints.lifecycle import Actor
from pengaduan.db import ENGINE
from pengaduan.events import publish
from pengaduan.live.channels import LiveChannels
from pengaduan.settings import Settings
from tests.conftest import browser_client, log_in, reads_in
from tests.factories import make_category, make_complaint, make_unit, make_user
from tests.support.waiting import wait_until_async

# Generous: only a failure waits this long.
WAIT = 10.0
EVENT_STREAM = {"accept": "text/event-stream"}


def _plugin(app: Litestar) -> LiveChannels:
    return next(p for p in app.plugins.init if isinstance(p, LiveChannels))


class StreamCall:
    """One GET of the stream, as a browser's EventSource makes it, read event by event."""

    def __init__(self, app: Litestar, path: str, cookies: httpx.Cookies) -> None:
        self.app = app
        self.path, _sep, self.query = path.partition("?")
        self.cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.started = asyncio.Event()
        self.chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self.gone = asyncio.Event()
        self._request_sent = False
        self._buffer = b""
        self.task: asyncio.Task | None = None

    def start(self) -> StreamCall:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "root_path": "",
            "query_string": self.query.encode(),
            "headers": [
                (b"host", b"testserver"),
                (b"accept", b"text/event-stream"),
                (b"cookie", self.cookie.encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        self.task = asyncio.create_task(self.app(scope, self._receive, self._send))
        return self

    async def _receive(self) -> dict[str, Any]:
        if not self._request_sent:
            self._request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            self.started.set()
        elif message["type"] == "http.response.body":
            if message.get("body"):
                await self.chunks.put(message["body"])
            if not message.get("more_body"):
                await self.chunks.put(b"")  # the end

    async def opened(self) -> StreamCall:
        await asyncio.wait_for(self.started.wait(), WAIT)
        return self

    async def next_block(self) -> str | None:
        """The next event or comment (text up to a blank line); None at the end."""
        while b"\n\n" not in self._buffer:
            chunk = await asyncio.wait_for(self.chunks.get(), WAIT)
            if chunk == b"":
                return None
            self._buffer += chunk
        block, self._buffer = self._buffer.split(b"\n\n", 1)
        return block.decode()

    async def next_event(self) -> tuple[str, dict[str, Any]] | None:
        """The next event (comments and the retry line skipped): (kind, data)."""
        while True:
            block = await self.next_block()
            if block is None:
                return None
            kind, data = None, None
            for line in block.split("\n"):
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
            if kind is not None:
                return kind, data or {}

    async def ready(self) -> StreamCall:
        await self.opened()
        assert self.status == 200, self.status
        assert await self.next_event() == ("ready", {})
        return self

    async def close(self) -> None:
        self.gone.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, WAIT)


@pytest.fixture
async def streams(app: Litestar) -> AsyncIterator[Any]:
    opened: list[StreamCall] = []

    async def open_stream(client: httpx.AsyncClient, path: str = "/langsung") -> StreamCall:
        call = StreamCall(app, path, client.cookies).start()
        opened.append(call)
        return call

    yield open_stream
    for call in opened:
        await call.close()


@pytest.fixture
async def world(people: dict[str, int]) -> dict[str, int]:
    """Two citizens, the people's unit with a second officer, another unit with its officer,
    and a complaint of each citizen in the people's unit."""
    d = dict(people)
    d["citizen2"] = await make_user("citizen", "warga2")
    d["other_unit"] = await make_unit("Dinas Lain")
    d["other_officer"] = await make_user("officer", "petugas.lain", unit=d["other_unit"])
    d["category"] = await make_category(d["unit"], "Jalan Rusak", deadline_days=7)
    d["mine"] = await make_complaint(reporter=d["citizen"], unit=d["unit"], category=d["category"])
    d["theirs"] = await make_complaint(
        reporter=d["citizen2"], unit=d["unit"], category=d["category"]
    )
    return d


async def _client(app: Litestar, username: str) -> httpx.AsyncClient:
    client = browser_client(app)
    await log_in(client, username)
    return client


async def _verify(complaint_id: int, officer_id: int, unit_id: int, settings: Settings) -> None:
    await lifecycle.apply(
        complaint_id,
        "verify",
        Actor(user_id=officer_id, role="officer", unit_id=unit_id),
        settings=settings,
    )


async def test_a_plain_request_gets_406_and_a_stranger_to_the_complaint_404(
    app: Litestar, as_role, world: dict[str, int], streams
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    plain = await citizen.get("/langsung")
    assert plain.status_code == 406
    assert "text/event-stream" not in plain.headers.get("content-type", "")
    # Somebody else's complaint: as if it did not exist.
    other = await (await streams(citizen, f"/langsung?pengaduan={world['theirs']}")).opened()
    assert other.status == 404
    officer = await _client(app, "petugas.lain")
    try:
        foreign = await (await streams(officer, f"/langsung?pengaduan={world['mine']}")).opened()
        assert foreign.status == 404
    finally:
        await officer.aclose()
    anonymous = await as_role(None)
    away = await anonymous.get("/langsung", headers=EVENT_STREAM)
    assert away.status_code == 303 and away.headers["location"].startswith("/masuk?")


async def test_a_citizen_hears_of_their_own_complaints_only(
    app: Litestar, as_role, world: dict[str, int], streams, settings: Settings
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    stream = await (await streams(citizen)).ready()
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in stream.headers
    assert stream.headers["cache-control"] == "no-store"
    # Another citizen's complaint changes: nothing. Then their own: the id, no data.
    await _verify(world["theirs"], world["officer"], world["unit"], settings)
    await _verify(world["mine"], world["officer"], world["unit"], settings)
    # The change and the notification it brings (one transaction, so together).
    heard = [await stream.next_event(), await stream.next_event()]
    assert sorted(heard) == [("complaint", {"id": world["mine"]}), ("notification", {})]
    # An internal event of the unit's queue and the statistics are not theirs either.
    await publish([f"queue_{world['unit']}", "stats"], {"event": "note", "complaint": 1})
    await publish([f"user_{world['citizen']}"], {"event": "notification"})
    assert await stream.next_event() == ("notification", {})


async def test_a_notification_heard_live_reads_in_the_listeners_language(
    app: Litestar, as_role, world: dict[str, int], streams, settings: Settings
) -> None:
    """Written while everyone works in Indonesian; the citizen reading in English hears of it
    and the part of the page that follows the event reads it in English."""
    citizen: httpx.AsyncClient = await as_role("citizen")
    reads_in(citizen, "en")
    stream = await (await streams(citizen)).ready()
    await _verify(world["mine"], world["officer"], world["unit"], settings)
    heard = [await stream.next_event(), await stream.next_event()]
    assert ("notification", {}) in heard
    fragment = await citizen.get("/notifikasi", headers={"HX-Request": "true"})
    assert "has been verified" in fragment.text and "Verified" in fragment.text
    assert "Pengaduan Anda" not in fragment.text and "Terverifikasi" not in fragment.text


async def test_following_one_complaint_brings_its_messages_once_per_change(
    app: Litestar, as_role, world: dict[str, int], streams
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    stream = await (await streams(citizen, f"/langsung?pengaduan={world['mine']}")).ready()
    # A status change comes on the complaint's channel and on the reporter's: said once.
    async with ENGINE.transaction():
        await publish(
            [f"complaint_{world['mine']}", f"user_{world['citizen']}"],
            {"event": "status", "complaint": world["mine"], "status": "verified"},
        )
    assert await stream.next_event() == ("complaint", {"id": world["mine"]})
    await publish([f"complaint_{world['mine']}"], {"event": "message", "complaint": world["mine"]})
    assert await stream.next_event() == ("complaint", {"id": world["mine"]})
    await publish([f"user_{world['citizen']}"], {"event": "notification"})
    assert await stream.next_event() == ("notification", {})


async def test_an_officer_hears_their_units_queue_only(
    app: Litestar, as_role, world: dict[str, int], streams, settings: Settings
) -> None:
    officer: httpx.AsyncClient = await as_role("officer")
    stream = await (await streams(officer)).ready()
    other_complaint = await make_complaint(
        reporter=world["citizen"],
        unit=world["other_unit"],
        category=await make_category(world["other_unit"], "Sampah", deadline_days=7),
    )
    await _verify(other_complaint, world["other_officer"], world["other_unit"], settings)
    await _verify(world["theirs"], world["officer"], world["unit"], settings)
    assert await stream.next_event() == ("queue", {"id": world["theirs"]})
    # Statistics are the admins'.
    await publish(["stats"], {"event": "status", "complaint": world["theirs"]})
    await publish([f"user_{world['officer']}"], {"event": "notification"})
    assert await stream.next_event() == ("notification", {})


async def test_an_admin_hears_every_queue_and_the_statistics(
    app: Litestar, as_role, world: dict[str, int], streams
) -> None:
    admin: httpx.AsyncClient = await as_role("admin")
    stream = await (await streams(admin)).ready()
    await publish([f"queue_{world['other_unit']}"], {"event": "submitted", "complaint": 7})
    assert await stream.next_event() == ("queue", {"id": 7})
    await publish(["stats"], {"event": "status", "complaint": 7})
    assert await stream.next_event() == ("stats", {})


async def test_a_forwarded_complaint_is_no_longer_followed_by_the_old_units_officer(
    app: Litestar, as_role, world: dict[str, int], streams
) -> None:
    officer: httpx.AsyncClient = await as_role("officer")
    stream = await (await streams(officer, f"/langsung?pengaduan={world['mine']}")).ready()
    # Moved to the other unit (as handling.actions.forward leaves it), then changed there.
    from pengaduan.complaints.tables import Complaint

    await Complaint.update({Complaint.unit: world["other_unit"]}).where(
        Complaint.id == world["mine"]
    )
    await publish(
        [f"complaint_{world['mine']}", f"queue_{world['unit']}"],
        {"event": "forwarded", "complaint": world["mine"]},
    )
    # The queue hears it leave; the complaint's own channel is dropped.
    assert await stream.next_event() == ("queue", {"id": world["mine"]})
    await publish([f"complaint_{world['mine']}"], {"event": "message", "complaint": world["mine"]})
    await publish([f"user_{world['officer']}"], {"event": "notification"})
    assert await stream.next_event() == ("notification", {})


@pytest.fixture
def quick_ticks(app: Litestar) -> AsyncIterator[None]:
    app.state["live"] = {"heartbeat": 0.05, "session_check": 0.1}
    yield
    del app.state["live"]


@pytest.mark.usefixtures("quick_ticks")
async def test_heartbeats_keep_an_idle_stream_talking(
    app: Litestar, as_role, world: dict[str, int], streams
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    stream = await (await streams(citizen)).ready()
    for _ in range(3):
        assert await stream.next_block() == ": "


@pytest.mark.usefixtures("quick_ticks")
async def test_the_stream_ends_when_its_user_logs_out(
    app: Litestar, as_role, world: dict[str, int], streams
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    stream = await (await streams(citizen)).ready()
    assert (await citizen.post("/keluar")).status_code == 303
    assert await stream.next_event() == ("ended", {})
    assert await stream.next_block() is None


async def test_a_closed_tab_unsubscribes_at_once(
    app: Litestar, as_role, world: dict[str, int], streams
) -> None:
    plugin = _plugin(app)
    before = plugin.subscriber_count
    citizen: httpx.AsyncClient = await as_role("citizen")
    stream = await (await streams(citizen, f"/langsung?pengaduan={world['mine']}")).ready()
    assert plugin.subscriber_count == before + 1
    assert f"complaint_{world['mine']}" in plugin.backend._subscribed_channels
    await stream.close()
    assert plugin.subscriber_count == before
    assert f"complaint_{world['mine']}" not in plugin._channels
    # The keeper UNLISTENs the channel nobody follows any more.
    await wait_until_async(
        lambda: f"complaint_{world['mine']}" not in plugin.backend._subscribed_channels,
        "the channel UNLISTENed",
    )
    assert f"complaint_{world['mine']}" not in plugin.backend._subscribed_channels


async def test_a_lost_listen_connection_reconnects_and_tells_streams_to_resync(
    app: Litestar, as_role, world: dict[str, int], streams, db_dsn: str
) -> None:
    plugin = _plugin(app)
    citizen: httpx.AsyncClient = await as_role("citizen")
    stream = await (await streams(citizen)).ready()
    old_pid = plugin.backend._listener_conn.get_server_pid()
    import asyncpg

    admin = await asyncpg.connect(db_dsn)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", old_pid)
    finally:
        await admin.close()
    assert await stream.next_event() == ("resync", {})
    assert plugin.backend._listener_conn.get_server_pid() != old_pid
    # Listening again: events arrive as before.
    await publish([f"user_{world['citizen']}"], {"event": "notification"})
    assert await stream.next_event() == ("notification", {})


@pytest.mark.usefixtures("quick_ticks")
async def test_a_stream_closes_for_a_reconnect_when_its_officer_moves_to_another_unit(
    app: Litestar, as_role, world: dict[str, int], streams
) -> None:
    from pengaduan.accounts.tables import User

    officer: httpx.AsyncClient = await as_role("officer")
    stream = await (await streams(officer)).ready()
    await User.update({User.unit: world["other_unit"]}).where(User.id == world["officer"])
    # Not "ended": the browser reconnects, and then follows the other unit's queue.
    assert await stream.next_event() is None
    again = await (await streams(officer)).ready()
    await publish([f"queue_{world['unit']}"], {"event": "submitted", "complaint": 1})
    await publish([f"queue_{world['other_unit']}"], {"event": "submitted", "complaint": 2})
    assert await again.next_event() == ("queue", {"id": 2})


async def test_stopping_the_server_ends_open_streams_at_once(
    db_dsn: str, data_dir, people: dict[str, int]
) -> None:
    """`pengaduan serve --workers 2` with streams open on its workers: SIGTERM ends them
    (cleanly, at the end of an event), so uvicorn never waits out its graceful timeout."""
    import os
    import secrets
    import signal
    import subprocess
    from datetime import UTC, datetime, timedelta

    from itsdangerous import Signer

    from pengaduan.accounts.sessions import hash_id
    from pengaduan.accounts.tables import Session
    from tests.support.net import free_port
    from tests.support.serving import PENGADUAN, cli_env, wait_healthy

    secret = "live-stream-stop-test-" + "k" * 20
    cookies = []
    now = datetime.now(UTC)
    for _ in range(6):
        session_id = secrets.token_urlsafe(32)
        await Session.insert(
            Session(
                id_hash=hash_id(session_id),
                user=people["citizen"],
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=1),
                ip="127.0.0.1",
                user_agent="test",
            )
        )
        cookies.append(Signer(secret, salt="pengaduan.session").sign(session_id).decode())
    port = free_port()
    log_path = data_dir / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: ASYNC220 (starting it does not wait)
            [*PENGADUAN, "serve", "--port", str(port), "--workers", "2"],
            env=cli_env(
                PENGADUAN_DATA_DIR=str(data_dir),
                DATABASE_URL=db_dsn,
                PENGADUAN_SECRET_KEY=secret,
                PENGADUAN_OUTBOX_IN_APP="false",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        await asyncio.to_thread(wait_healthy, f"http://127.0.0.1:{port}/healthz", proc)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=WAIT) as http:
            async with _open_streams(http, cookies) as responses:
                texts = []
                for response in responses:
                    assert response.status_code == 200
                    texts.append(response.aiter_text())
                    assert "event: ready" in await anext(texts[-1])
                proc.send_signal(signal.SIGTERM)
                # Each stream ends, its chunked body finished properly (no error raised).
                for text in texts:
                    async for _rest in text:
                        pass
        await asyncio.to_thread(proc.wait, timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = log_path.read_text()
    assert proc.returncode == 0, output
    assert "graceful shutdown exceeded" not in output, output


def _open_streams(http: httpx.AsyncClient, cookies: list[str]):
    """All the streams open at once (one per cookie), closed together."""
    import contextlib

    @contextlib.asynccontextmanager
    async def opened():
        async with contextlib.AsyncExitStack() as stack:
            responses = [
                await stack.enter_async_context(
                    http.stream("GET", "/langsung", headers={**EVENT_STREAM, "cookie": f"sid={c}"})
                )
                for c in cookies
            ]
            yield responses

    return opened()
