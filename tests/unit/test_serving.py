"""The loop `pengaduan serve` runs on (`pengaduan.serving`): a busy worker takes the connections
waiting for it in a few turns of its loop, not one a turn; and uvicorn is told to use it."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import socket
import time
from typing import Any

import pytest
import uvicorn
import uvloop

from pengaduan import serving
from pengaduan.settings import load_settings

WAITING = 40


class _Counted(asyncio.Protocol):
    made: list[asyncio.BaseTransport]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.made.append(transport)


def _turns_to_take_waiting_connections(
    loop: asyncio.AbstractEventLoop, turn_seconds: float
) -> tuple[int, int]:
    """Connect WAITING clients to a listening socket (the kernel completes them; they wait to be
    accepted), start a server on it and count the loop's turns, each busy for `turn_seconds`
    (a worker serving requests), until every connection is made."""
    made: list[asyncio.BaseTransport] = []
    protocol = type("Counted", (_Counted,), {"made": made})
    listener = socket.create_server(("127.0.0.1", 0), backlog=WAITING * 2)
    clients = [socket.create_connection(listener.getsockname()) for _ in range(WAITING)]

    async def serve() -> int:
        server = await loop.create_server(protocol, sock=listener, backlog=WAITING * 2)
        turns = 0
        while len(made) < WAITING and turns < 400:
            turns += 1
            time.sleep(turn_seconds)  # noqa: ASYNC251 - the turn is busy on purpose
            await asyncio.sleep(0)  # the next turn of the loop
        for transport in made:
            transport.close()
        server.close()
        await server.wait_closed()
        return turns

    try:
        turns = loop.run_until_complete(serve())
    finally:
        for client in clients:
            client.close()
        listener.close()
        loop.close()
    return turns, len(made)


def test_a_busy_worker_drains_connections_left_waiting() -> None:
    turns, made = _turns_to_take_waiting_connections(serving.ServingLoop(), 0.03)
    assert made == WAITING
    # One a turn until five looks 20 ms apart have found a queue, then the rest at once.
    assert turns <= 12, turns


def test_uvloop_alone_takes_one_connection_a_turn() -> None:
    """What the module works around (if a uvloop release accepts in bursts again, the module
    can go)."""
    turns, made = _turns_to_take_waiting_connections(uvloop.Loop(), 0.03)
    assert made == WAITING
    assert turns >= WAITING


def test_a_server_on_a_host_and_port_is_drained_until_it_closes() -> None:
    """One worker: uvicorn gives the host and port, not a socket."""
    loop = serving.ServingLoop()

    async def round_trip() -> bytes:
        class Echo(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.transport = transport

            def data_received(self, data: bytes) -> None:
                self.transport.write(data.upper())  # type: ignore[attr-defined]

        server = await loop.create_server(Echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"halo")
        answer = await reader.readexactly(4)
        writer.close()
        server.close()
        await server.wait_closed()
        await asyncio.sleep(serving.CHECK_SECONDS * 3)
        return answer

    try:
        answer = loop.run_until_complete(round_trip())
        (drainer,) = loop.drainers
    finally:
        loop.close()
    assert answer == b"HALO"
    assert drainer.closed  # its own descriptors for the listening socket are closed


@pytest.mark.parametrize("workers", [1, 2])
def test_pengaduan_serve_runs_uvicorn_on_the_serving_loop(workers: int) -> None:
    args = argparse.Namespace(
        host="127.0.0.1", port=8000, workers=workers, reload=False, access_log=None
    )
    options = serving.uvicorn_options(load_settings({}), args)
    config = uvicorn.Config("pengaduan.app:create_app", **options)
    assert config.get_loop_factory() is serving.ServingLoop
    assert config.workers == workers


class _Exhausted:
    """A listening socket whose process has run out of file descriptors."""

    def accept(self) -> tuple[socket.socket, Any]:
        raise OSError(errno.EMFILE, "Too many open files")


def test_running_out_of_descriptors_is_logged_once_until_it_passes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = serving.ServingLoop()

    async def looks() -> tuple[serving.Drainer, bool]:
        server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
        (drainer,) = loop.drainers
        for _ in range(5):
            drainer._take(_Exhausted())  # type: ignore[arg-type]
        exhausted = drainer.out_of_resources
        # Descriptors are free again: a waiting connection is taken and the state clears.
        port = server.sockets[0].getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        drainer._take(drainer._socks[0])
        await asyncio.sleep(0.05)  # the connection is set up
        client.close()
        server.close()
        await asyncio.sleep(serving.CHECK_SECONDS * 2)  # the drainer stops with the server
        return drainer, exhausted

    try:
        with caplog.at_level(logging.ERROR, logger="pengaduan.serving"):
            drainer, exhausted = loop.run_until_complete(looks())
    finally:
        loop.close()
    assert exhausted
    failures = [r for r in caplog.records if "accepting a connection failed" in r.message]
    assert len(failures) == 1
    assert drainer.taken == 1 and not drainer.out_of_resources
