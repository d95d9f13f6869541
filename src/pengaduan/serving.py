"""The event loop `pengaduan serve` runs its workers on: uvloop's, taking new connections the way
asyncio's own loop does.

uvloop's libuv accepts one connection per turn of the loop (libuv PR #3696, "don't accept()
connections in a loop"). A worker busy with 500 connections turns its loop every 50 ms or so,
so under load it takes about 20 new connections a second: in a flash crowd of 1,000 visitors the
last ones waited seconds in the kernel's queue before the app saw them (wrk counted 100-450
requests over 2 s against even the bare Litestar page).

`ServingLoop.create_server` (uvicorn's call for a worker's listening socket, or for its host and
port with one worker) instead watches the socket itself and accepts every waiting connection, up to
`ACCEPTS_PER_TURN` a turn, handing each to the loop's `connect_accepted_socket`. The cap keeps
two workers sharing one socket even: one that wakes first cannot take a whole burst of
connections (a reverse proxy's pool, wrk's 100) and leave the other idle for as long as they
stay open. Everything else (reading, writing, timers) stays uvloop's.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
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

ACCEPTS_PER_TURN = 16
# asyncio's own pause after the process ran out of file descriptors (or memory) to accept with.
RETRY_AFTER_SECONDS = 1.0
_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class ListeningServer(asyncio.AbstractServer):
    """What `ServingLoop.create_server` returns: it accepts on the loop's turns and stops at
    `close()` (the connections already taken are uvicorn's to close)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        socks: list[socket.socket],
        backlog: int,
    ) -> None:
        self._loop = loop
        self._protocol_factory = protocol_factory
        self._socks = socks
        self._watched: set[int] = set()
        self._handshakes: set[asyncio.Task[Any]] = set()
        self._closed = False
        for sock in socks:
            sock.setblocking(False)
            sock.listen(backlog)
            self._watch(sock)

    def _watch(self, sock: socket.socket) -> None:
        if not self._closed and sock.fileno() not in self._watched:
            self._watched.add(sock.fileno())
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def _accept(self, sock: socket.socket) -> None:
        for _ in range(ACCEPTS_PER_TURN):
            try:
                conn, _address = sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno not in _OUT_OF_RESOURCES:
                    raise
                log.error("accepting a connection failed (%s); retrying in a second", exc)
                self._loop.remove_reader(sock.fileno())
                self._watched.discard(sock.fileno())
                self._loop.call_later(RETRY_AFTER_SECONDS, self._watch, sock)
                return
            conn.setblocking(False)
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

    # asyncio.AbstractServer

    def close(self) -> None:
        self._closed = True
        for fd in self._watched:
            self._loop.remove_reader(fd)
        self._watched.clear()
        for sock in self._socks:
            sock.close()

    async def wait_closed(self) -> None:
        if self._handshakes:
            await asyncio.gather(*self._handshakes, return_exceptions=True)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return not self._closed

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return () if self._closed else tuple(self._socks)

    async def start_serving(self) -> None:
        """Serving starts with the server (as asyncio's does by default)."""

    async def serve_forever(self) -> None:
        try:
            await self._loop.create_future()
        finally:
            self.close()


def bind(host: str | None, port: int, backlog: int) -> list[socket.socket]:
    """Listening sockets on every address `host` names (all interfaces when None), as asyncio's
    `create_server(host, port)` binds them."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    socks: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(backlog)
    except OSError:
        for sock in socks:
            sock.close()
        raise
    return socks


class ServingLoop(_BaseLoop):  # type: ignore[misc,valid-type]
    """uvloop's loop whose plain TCP servers (no TLS: uvicorn behind a proxy) accept up to
    ACCEPTS_PER_TURN connections a turn (see the module)."""

    async def create_server(  # type: ignore[override]
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        host: Any = None,
        port: Any = None,
        *,
        sock: socket.socket | None = None,
        backlog: int = 100,
        ssl: Any = None,
        **kwargs: Any,
    ) -> asyncio.AbstractServer:
        if ssl is not None or kwargs:
            return await super().create_server(
                protocol_factory, host, port, sock=sock, backlog=backlog, ssl=ssl, **kwargs
            )
        socks = [sock] if sock is not None else bind(host, port, backlog)
        return ListeningServer(self, protocol_factory, socks, backlog)


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
        # uvloop's loop, taking up to ACCEPTS_PER_TURN waiting connections a turn (above).
        "loop": "pengaduan.serving:ServingLoop",
    }
