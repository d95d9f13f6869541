"""Background loops (the outbox worker, the scheduler): start and stop, an early wake-up by
PostgreSQL LISTEN, and backing off after errors without mistaking a database outage for a bug.

A loop is a `BackgroundLoop` whose `round()` does one round of work and says how long to wait
before the next; `Backoff` is the wait after failed rounds that both loops use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from pengaduan import outages
from pengaduan.db import ENGINE

log = logging.getLogger(__name__)


class Backoff:
    """The wait after a failed round. A database outage is no bug: it is noted once per
    outage (outages) and the round is tried again soon, after `first` seconds, doubling up to
    `cap`; anything else is logged with its traceback (`message`) and waits `cap`."""

    def __init__(self, where: str, *, first: float, cap: float, logger: logging.Logger) -> None:
        self.where = where
        self.first = first
        self.cap = cap
        self.logger = logger
        self.unreachable = 0  # rounds in a row that found the database away

    def failed(self, exc: BaseException, message: str, *args: object) -> float:
        """Seconds to wait after the round failed with `exc` (call inside `except`)."""
        if not outages.is_outage(exc):
            self.logger.exception(message, *args)
            return self.cap
        outages.note_outage(exc, self.where)
        delay = min(self.first * 2**self.unreachable, self.cap)
        self.unreachable += 1
        return delay

    def succeeded(self) -> None:
        self.unreachable = 0


class BackgroundLoop:
    """A task of the running event loop that calls `round()` until stopped, sleeping the
    seconds it returns in between; `wake()` (or a NOTIFY on `listen`, when given) ends a
    sleep early. Subclasses implement `round`."""

    def __init__(
        self,
        name: str,
        *,
        listen: str | None = None,
        where: str | None = None,
        describe_error: Callable[[BaseException], str] = str,
    ) -> None:
        self.name = name
        self.listen_channel = listen
        self.where = where or name  # how an outage notice names this loop
        self.describe_error = describe_error
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._listener_broken = False

    async def round(self) -> float:
        """One round of work; the seconds to wait before the next."""
        raise NotImplementedError

    async def before(self) -> None:
        """Said once when the loop starts (a subclass may log something here)."""

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> asyncio.Task[None]:
        """Run the loop as a background task of the running event loop."""
        if self.running:
            raise RuntimeError(f"the {self.name} is already running")
        self._stopping.clear()
        self._task = asyncio.create_task(self.run(), name=self.name)
        return self._task

    def wake(self) -> None:
        """End the current sleep: another round at once."""
        self._wake.set()

    def request_stop(self) -> None:
        """Ask the loop to end after the work in hand (safe from a signal handler)."""
        self._stopping.set()
        self._wake.set()

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop the loop: let the round in hand finish for `grace_seconds`, then cancel it
        (its transaction rolls back and a later round does the work again)."""
        self.request_stop()
        task, self._task = self._task, None
        if task is None:
            return
        await asyncio.wait({task}, timeout=grace_seconds)
        if not task.done():
            task.cancel()
            # asyncio.wait, not `await task`: a cancelled stop() must not be swallowed.
            await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: ended with an error", self.name, exc_info=task.exception())

    async def run(self) -> None:
        """The loop itself; returns once stopping was requested."""
        await self.before()
        try:
            while not self._stopping.is_set():
                await self._listen()
                # Cleared before the round: a wake-up arriving during it means another round.
                self._wake.clear()
                delay = await self.round()
                await self._sleep(delay)
        finally:
            await self._close_listener()

    async def _sleep(self, seconds: float) -> None:
        if self._stopping.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

    async def _listen(self) -> None:
        """Keep a dedicated connection LISTENing (a pooled one would hand it to others)."""
        if self.listen_channel is None or (
            self._listener is not None and not self._listener.is_closed()
        ):
            return
        self._listener = None
        try:
            conn = await asyncpg.connect(**{**ENGINE.config, "timeout": 10})
            try:
                await conn.add_listener(self.listen_channel, self._on_notify)
            except BaseException:
                await conn.close()
                raise
        except Exception as exc:
            # Polling still works; only the early wake-up is lost until it reconnects.
            if outages.is_outage(exc):
                outages.note_outage(exc, self.where)
            elif not self._listener_broken:
                log.warning(
                    "%s: cannot LISTEN (%s); polling only", self.name, self.describe_error(exc)
                )
            self._listener_broken = True
            return
        self._listener = conn
        self._listener_broken = False

    async def _close_listener(self) -> None:
        conn, self._listener = self._listener, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=5)
