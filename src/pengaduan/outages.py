"""Database outages: telling one apart from a bug, one log line as it starts and as it ends.

While PostgreSQL is unreachable (refused, restarting, in recovery, a connection cut mid-query,
the pool closing, a timeout), every request and background loop that touches it fails. That is
not a bug in the code that happened to ask: pages answer 503 (web.errors), loops back off, and
the process logs one warning when the outage starts and one when a probe finds the database
answering again, instead of a traceback per request. Nothing here holds requests back: each one
still tries the database, so the first request after it is back already succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from types import TracebackType

import asyncpg

from pengaduan import db

log = logging.getLogger(__name__)

# What the 503 answer asks clients to wait, in seconds (a crash restart takes about one).
RETRY_AFTER_SECONDS = 5
# The probe's waits between tries while the database is away.
_PROBE_FIRST = 0.25
_PROBE_MAX = 5.0

# SQLSTATEs that mean "the server is not there for you right now", not "your query is wrong":
# class 08 (connection exception) comes as PostgresConnectionError; these come from elsewhere.
_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # 08xxx, including a connection lost mid-query
    asyncpg.CannotConnectNowError,  # 57P03: starting up, shutting down, in recovery
    asyncpg.AdminShutdownError,  # 57P01: terminated by a fast/immediate shutdown
    asyncpg.CrashShutdownError,  # 57P02: another backend crashed
    asyncpg.QueryCanceledError,  # 57014: statement timeout
    asyncpg.TooManyConnectionsError,  # 53300: no connection slot
)
_INTERFACE_OUTAGE_MESSAGES = (
    "pool is closing",
    "pool is closed",
    "connection is closed",
    # asyncpg hands a connection that the server closed back to the pool at once, so the
    # code still holding it (inside a transaction) finds it "released".
    "connection has been released back to the pool",
)


def _through_asyncpg(tb: TracebackType | None) -> bool:
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith("asyncpg"):
            return True
        tb = tb.tb_next
    return False


def _one_is_outage(exc: BaseException) -> bool:
    if isinstance(exc, _OUTAGE_ERRORS):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        return any(text in str(exc) for text in _INTERFACE_OUTAGE_MESSAGES)
    if isinstance(exc, OSError):
        # Refused, reset, no socket file (the unix socket of a stopped server), a timeout:
        # an outage when raised on the way to or from PostgreSQL, not when a mail server or
        # the evidence storage raised it. asyncio.timeout's TimeoutError comes from the
        # query it cancelled.
        cause = exc.__cause__ if isinstance(exc, TimeoutError) else None
        return _through_asyncpg(exc.__traceback__) or (
            cause is not None and _through_asyncpg(cause.__traceback__)
        )
    return False


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` means the database is unreachable (rather than a bug or bad input).

    Follows explicit causes (`raise X from exc`, and asyncio.timeout's TimeoutError from the
    cancelled query) and looks into exception groups."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, BaseExceptionGroup):
            return any(is_outage(inner) for inner in current.exceptions)
        if _one_is_outage(current):
            return True
        current = current.__cause__
        seen += 1
    return False


class _Outage:
    """This process's view: since when the database has been away (None: it is not)."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.probe: asyncio.Task[None] | None = None


_state = _Outage()


def in_outage() -> bool:
    return _state.since is not None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def note_outage(exc: BaseException, where: str) -> None:
    """Record that `where` (a request, the outbox, ...) found the database unreachable: the
    first note of an outage logs one warning and starts a probe that logs the recovery."""
    if _state.since is not None:
        return
    _state.since = time.monotonic()
    log.warning(
        "database unreachable (%s, noticed by %s): answering 503 until it is back",
        _describe(exc),
        where,
    )
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    _state.probe = loop.create_task(_probe(), name="database-outage-probe")


class _PoolFloorRetries(logging.Filter):
    """asyncpg's pool reconnects up to its minimum size in the background and logs a warning
    with a traceback at each failed try (1 s, 2 s, 4 s, ...): during an outage that is this
    module's one line, not one per try."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or not record.getMessage().startswith("Failed to restore the pool"):
            return True
        if not is_outage(exc):
            return True
        note_outage(exc, "the connection pool")
        return False


_POOL_FILTER = _PoolFloorRetries()
logging.getLogger("asyncpg.pool").addFilter(_POOL_FILTER)


async def _probe() -> None:
    delay = _PROBE_FIRST
    while True:
        await asyncio.sleep(delay)
        if await db.ping():
            break
        delay = min(delay * 2, _PROBE_MAX)
    since, _state.since = _state.since, None
    _state.probe = None
    took = time.monotonic() - since if since is not None else 0.0
    log.warning("database reachable again after %.1f s", took)


async def stop_probe() -> None:
    """Forget an outage in progress (the pool is closing: the process is stopping)."""
    probe, _state.probe = _state.probe, None
    _state.since = None
    if probe is not None and not probe.done():
        probe.cancel()
        with contextlib.suppress(asyncio.CancelledError, RuntimeError):
            await probe


async def wait_for_database(dsn: str, seconds: float) -> None:
    """Wait up to `seconds` for the database to accept connections (one warning while it
    does not), then raise DatabaseUnavailable as `check_connection` does.

    A worker started while the database restarts (uvicorn starts a new one for a worker that
    died) must not give up at once: uvicorn stops the whole server when a worker fails to
    start. Past the deadline it does fail, with the reason, never half-started."""
    deadline = time.monotonic() + seconds
    delay = _PROBE_FIRST
    warned = False
    while True:
        try:
            await db.check_connection(dsn, connect_timeout=min(10.0, max(seconds, 1.0)))
        except db.DatabaseUnavailable as exc:
            # A wrong password or an old server will not get better by waiting.
            if not is_outage(exc.__cause__ or exc) or time.monotonic() + delay >= deadline:
                raise
            if not warned:
                log.warning("%s; waiting up to %.0f s for it at start-up", exc, seconds)
                warned = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, _PROBE_MAX)
            continue
        if warned:
            log.warning("database reachable; starting")
        return
