"""Loopback ports for the servers tests start, and small HTTP servers run by a thread (media
to fetch, a gateway or an agency to send to)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True  # started again on the same port after a stop
    daemon_threads = True


def start_serving(
    handler: type[BaseHTTPRequestHandler], host: str, port: int
) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """`handler` served on host:port by a thread of its own, until `stop_serving`."""
    server = _Server((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def stop_serving(server: ThreadingHTTPServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@contextmanager
def http_served(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` served on a free loopback port for the with-block; yields its base URL."""
    server, thread = start_serving(handler, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop_serving(server, thread)
