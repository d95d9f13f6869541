"""The event loop `pengaduan serve` runs its workers on: uvloop's, plus a drainer for connections
left waiting.

uvloop's libuv accepts one connection per turn of the loop (libuv PR #3696, "don't accept()
connections in a loop"). A worker busy with 500 connections turns its loop every 50 ms or so,
so under load it takes about 20 new connections a second: in a flash crowd of 1,000 visitors the
last ones waited seconds in the kernel's queue before the app saw them (wrk counted 100-450
requests over 2 s against even the bare Litestar page).

`ServingLoop.create_server` (uvicorn's call for a worker's listening socket, or for its host and
port with one worker) keeps uvloop's server and adds a `Drainer`: every 20 ms it looks at the
socket's queue, and when five looks in a row have found connections waiting, it takes up to 64
and hands each to the loop's `connect_accepted_socket`. A burst that uvloop's one-a-turn clears
within 100 ms is left to it, and that keeps two workers even: the worker with more connections
turns its loop more slowly and takes fewer. Taking waiting connections at once on every turn
(asyncio's way, or 16 a turn) let the worker that woke first take most of a burst (a reverse
proxy's pool, wrk's 100: splits down to 20/80) and keep it while the connections stay open,
which cost the pages that wait on PostgreSQL up to a fifth of their req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import select
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pengaduan.settings import Settings

try:
    import uvloop

    _BaseLoop: type[asyncio.AbstractEventLoop] = uvloop.Loop
except ImportError:  # pragma: no cover - uvicorn[standard] brings uvloop
    _BaseLoop = asyncio.SelectorEventLoop

log = logging.getLogger(__name__)

# How often a worker looks at its listening sockets' queue; how many looks in a row must find
# connections waiting (100 ms: uvloop alone drains a burst of 100 sooner, keeping the workers
# even); how many connections a look then takes.
CHECK_SECONDS = 0.02
LOOKS_BEFORE_DRAINING = 5
MAX_ACCEPTS = 64
_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class Drainer:
    """Beside a uvloop server: every CHECK_SECONDS (or once a turn, when turns are longer), a
    listening socket whose queue held connections at LOOKS_BEFORE_DRAINING looks in a row is
    drained of up to MAX_ACCEPTS, each handed to the loop's `connect_accepted_socket`. It
    stops once the server no longer serves."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        server: asyncio.AbstractServer,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        fds: list[int],
    ) -> None:
        self._loop = loop
        self._server = server
        self._protocol_factory = protocol_factory
        # Its own descriptors for the sockets uvloop listens on (the same queue).
        self._socks = [socket.socket(fileno=os.dup(fd)) for fd in fds]
        self._poll = select.poll()
        for sock in self._socks:
            sock.setblocking(False)
            self._poll.register(sock.fileno(), select.POLLIN)
        self._looks: dict[int, int] = {}  # per socket: looks in a row that found a queue
        self._handshakes: set[asyncio.Task[Any]] = set()
        self.taken = 0
        self.out_of_resources = False
        self._timer = loop.call_later(CHECK_SECONDS, self._check)

    def _check(self) -> None:
        if not self._server.is_serving():
            self.close()
            return
        waiting = {fd for fd, _events in self._poll.poll(0)}
        self._looks = {fd: self._looks.get(fd, 0) + 1 for fd in waiting}
        for sock in self._socks:
            if self._looks.get(sock.fileno(), 0) >= LOOKS_BEFORE_DRAINING:
                self._take(sock)
        self._timer = self._loop.call_later(CHECK_SECONDS, self._check)

    def _take(self, sock: socket.socket) -> None:
        for _ in range(MAX_ACCEPTS):
            try:
                conn, _address = sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno not in _OUT_OF_RESOURCES:
                    raise
                if not self.out_of_resources:  # once, not at every look until it passes
                    log.error("accepting a connection failed (%s); retrying at each look", exc)
                self.out_of_resources = True
                return
            self.out_of_resources = False
            conn.setblocking(False)
            self.taken += 1
            task = self._loop.create_task(self._connect(conn))
            self._handshakes.add(task)
            task.add_done_callback(self._handshakes.discard)

    async def _connect(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._protocol_factory, conn)
        except OSError:  # the client went away before the connection was set up
            conn.close()
        except Exception:
            log.exception("setting up an accepted connection failed")
            conn.close()

    def close(self) -> None:
        self._timer.cancel()
        for sock in self._socks:
            sock.close()
        self._socks = []

    @property
    def closed(self) -> bool:
        return not self._socks


class ServingLoop(_BaseLoop):  # type: ignore[misc,valid-type]
    """uvloop's loop whose plain TCP servers (no TLS: uvicorn behind a proxy) are drained of
    connections left waiting (see the module)."""

    def __init__(self) -> None:
        super().__init__()
        # One per server (kept here: uvloop's servers take no attributes).
        self.drainers: list[Drainer] = []

    async def create_server(  # type: ignore[override]
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        host: Any = None,
        port: Any = None,
        **kwargs: Any,
    ) -> asyncio.AbstractServer:
        server = await super().create_server(protocol_factory, host, port, **kwargs)
        if kwargs.get("ssl") is None and server.sockets:
            fds = [sock.fileno() for sock in server.sockets]
            self.drainers.append(Drainer(self, server, protocol_factory, fds))
        return server


def uvicorn_options(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    """How `pengaduan serve` runs uvicorn."""
    return {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "workers": None if args.reload else args.workers,
        "reload": args.reload,
        "proxy_headers": True,
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "log_level": "info",
        # A line per request costs a busy server real time; errors are logged either way.
        "access_log": not settings.is_production if args.access_log is None else args.access_log,
        "timeout_graceful_shutdown": 10,
        # uvloop's loop, taking more connections a turn the longer they have waited (above).
        "loop": "pengaduan.serving:ServingLoop",
    }
