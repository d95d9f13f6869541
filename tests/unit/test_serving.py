"""The loop `pengaduan serve` runs on (`pengaduan.serving`): a busy worker takes the connections
waiting for it in a few turns of its loop, not one a turn; and uvicorn is told to use it."""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import textwrap

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


def _turns_to_take_waiting_connections(loop: asyncio.AbstractEventLoop) -> tuple[int, int]:
    """Connect WAITING clients to a listening socket (the kernel completes them; they wait to be
    accepted), start a server on it and count the loop's turns until every one is made."""
    made: list[asyncio.BaseTransport] = []
    protocol = type("Counted", (_Counted,), {"made": made})
    listener = socket.create_server(("127.0.0.1", 0), backlog=WAITING * 2)
    clients = [socket.create_connection(listener.getsockname()) for _ in range(WAITING)]

    async def serve() -> int:
        server = await loop.create_server(protocol, sock=listener, backlog=WAITING * 2)
        turns = 0
        while len(made) < WAITING and turns < 400:
            turns += 1
            await asyncio.sleep(0)  # one turn of the loop
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


def test_waiting_connections_are_taken_a_burst_a_turn() -> None:
    turns, made = _turns_to_take_waiting_connections(serving.ServingLoop())
    assert made == WAITING
    # 40 connections, 16 a turn: three turns to accept, a turn or two to set each up.
    assert turns <= 8, turns


def test_uvloop_alone_takes_one_connection_a_turn() -> None:
    """What the module works around (if a uvloop release accepts in bursts again, the module
    can go)."""
    turns, made = _turns_to_take_waiting_connections(uvloop.Loop())
    assert made == WAITING
    assert turns >= WAITING


def test_a_server_on_a_host_and_port_accepts_and_closes() -> None:
    """One worker: uvicorn gives the host and port, not a socket."""
    loop = serving.ServingLoop()

    async def round_trip() -> tuple[bytes, tuple[socket.socket, ...]]:
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
        return answer, server.sockets

    try:
        answer, sockets_after_close = loop.run_until_complete(round_trip())
    finally:
        loop.close()
    assert answer == b"HALO"
    assert sockets_after_close == ()


def test_running_out_of_file_descriptors_pauses_accepting_and_resumes() -> None:
    """A worker out of file descriptors logs, waits a second and takes the waiting connections
    once some are free, instead of spinning or giving up (as asyncio does)."""
    script = textwrap.dedent(
        """
        import asyncio, resource, socket, sys
        from pengaduan import serving

        listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        loop = serving.ServingLoop()
        made = []

        class Counted(asyncio.Protocol):
            def connection_made(self, transport):
                made.append(transport)
                if len(made) == 4:  # the limit is reached: free them a little later
                    loop.call_later(0.3, lambda: [t.close() for t in made[:4]])

        async def main():
            server = await loop.create_server(Counted, sock=listener, backlog=64)
            clients = [socket.create_connection(listener.getsockname()) for _ in range(8)]
            # Room for four accepted connections beyond what is open now.
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            import os
            in_use = len(os.listdir("/proc/self/fd"))
            resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 4, hard))
            for _ in range(60):
                await asyncio.sleep(0.1)
                if len(made) == 8:
                    break
            print(len(made))

        loop.run_until_complete(main())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "8", result.stdout + result.stderr
    assert "retrying in a second" in result.stderr


@pytest.mark.parametrize("workers", [1, 2])
def test_pengaduan_serve_runs_uvicorn_on_the_serving_loop(workers: int) -> None:
    args = argparse.Namespace(
        host="127.0.0.1", port=8000, workers=workers, reload=False, access_log=None
    )
    options = serving.uvicorn_options(load_settings({}), args)
    config = uvicorn.Config("pengaduan.app:create_app", **options)
    assert config.get_loop_factory() is serving.ServingLoop
    assert config.workers == workers
