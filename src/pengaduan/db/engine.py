"""The Piccolo engine, its pool and the database's address: what every query goes through."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from piccolo.engine.postgres import PostgresEngine

from pengaduan.settings import Settings

log = logging.getLogger(__name__)

APP_DATABASE = "pengaduan"


class DatabaseUnavailable(Exception):
    """The database cannot be reached; start-up must stop."""


class AppEngine(PostgresEngine):
    """Piccolo's engine without the connection it makes when constructed.

    The address is only known at start-up (embedded server or DATABASE_URL), so the
    version check happens in `check_connection` instead.
    """

    async def check_version(self) -> None:  # pragma: no cover - trivial
        return None

    async def prep_database(self) -> None:  # pragma: no cover - trivial
        return None


ENGINE = AppEngine(config={})


def with_database(dsn: str, database: str) -> str:
    """The same server address pointing at another database."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def database_name(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/") or "postgres"


def redact(dsn: str) -> str:
    """The address without its password, for messages."""
    parts = urlsplit(dsn)
    netloc = parts.netloc
    if "@" in netloc:
        creds, host = netloc.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in creds else f"{user}@{host}"
    query = urlencode([(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def configure_engine(dsn: str) -> None:
    """Point Piccolo's engine at `dsn` (before any query or pool)."""
    ENGINE.config = {"dsn": dsn}


async def check_connection(dsn: str, connect_timeout: float = 10.0) -> int:
    """Connect once and return the server's major version, or raise DatabaseUnavailable."""
    try:
        conn = await asyncpg.connect(dsn, timeout=connect_timeout)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise DatabaseUnavailable(
            f"cannot reach the database at {redact(dsn)}: {exc.__class__.__name__}: {exc}"
        ) from exc
    try:
        version = conn.get_server_version()
    finally:
        await conn.close()
    if version.major < 14:
        raise DatabaseUnavailable(f"PostgreSQL 14 or newer is needed, found {version.major}")
    return version.major


async def _keep_session(connection: asyncpg.Connection) -> None:
    """What a connection coming back to the pool needs beyond asyncpg's own clean-up (which
    rolls back an open transaction and drops listeners): nothing. Our pooled connections never
    change session state (no SET, LISTEN, session advisory lock or temporary table: those live
    on connections of their own, see scheduler and outbox), so asyncpg's default reset query
    (`RESET ALL; UNLISTEN *; ...`) would be a round trip per request for nothing."""


# Turns at the pool in order of arrival (see `pooled`), as many as it has connections.
_turns: tuple[asyncpg.Pool, asyncio.Semaphore] | None = None


def _turns_at(pool: asyncpg.Pool) -> asyncio.Semaphore:
    global _turns
    if _turns is None or _turns[0] is not pool:  # a new pool (tests open more than one)
        _turns = (pool, asyncio.Semaphore(pool.get_max_size()))
    return _turns[1]


class _Pooled:
    """`pooled()`: a turn, then a pool connection; on leaving, the connection back, then the
    turn (a class rather than a generator: it is entered for every query)."""

    __slots__ = ("_connection", "_pool", "_turns")

    async def __aenter__(self) -> asyncpg.Connection:
        pool = ENGINE.pool
        turns = _turns_at(pool)
        await turns.acquire()
        try:
            self._connection = await pool.acquire()
        except BaseException:
            turns.release()
            raise
        self._pool, self._turns = pool, turns
        return self._connection

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await _give_back(self._pool, self._connection)
        finally:
            self._turns.release()


def pooled() -> _Pooled:
    """A pool connection, given in order of asking: `async with pooled() as conn:`.

    asyncpg's pool hands a released connection to whoever asks next, even one that has not
    waited: under load a waiting request can be passed over again and again (measured: p99
    in-app 70 ms for a p50 of 6 ms). asyncio's Semaphore serves waiters first come, first
    served, and with no more turns than connections, the pool itself never has to queue."""
    return _Pooled()


async def _give_back(pool: asyncpg.Pool, connection: asyncpg.Connection) -> None:
    """`pool.release(connection)` without its `asyncio.shield`, which runs the release as a
    task of its own: two more turns of the event loop per query, measured at about 35 us of
    the 50 us an acquire and release cost. The shield keeps a cancelled request from
    leaving its connection out of the pool; here the release only waits when it has
    something to send (a ROLLBACK of a transaction left open), and if it is cancelled
    then, asyncpg's holder terminates the connection and takes the holder back itself
    (tested). Goes through `pool.release` when asyncpg's insides are not as expected."""
    holder = getattr(connection, "_holder", None)
    raw = getattr(connection, "_con", None)
    if (
        raw is None
        or getattr(holder, "_pool", None) is not pool
        or not hasattr(raw, "_on_release")
        or not hasattr(holder, "release")
    ):
        await pool.release(connection)
        return
    # What Pool.release does before its shield.
    raw._on_release()
    await holder.release(holder._timeout)


# Each request's statements in one process: under load a parallel plan's workers take the
# CPU of other requests, and for a scan that stops early (a common word's first matches) they
# cost more to start than they save: 25 ms in three processes against 12 ms in one. The
# statistics page at 1M measured the same without them (bench/stats_load.py).
SESSION_SETTINGS = {"max_parallel_workers_per_gather": "0"}


async def open_pool(settings: Settings) -> None:
    await ENGINE.start_connection_pool(
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        command_timeout=60,
        reset=_keep_session,
        server_settings=SESSION_SETTINGS,
    )


async def close_pool() -> None:
    if ENGINE.pool is not None:
        await ENGINE.close_connection_pool()


_pinned: ContextVar[asyncpg.Connection | None] = ContextVar("pengaduan_pinned", default=None)


@contextlib.asynccontextmanager
async def one_connection() -> AsyncIterator[None]:
    """`fetch` calls inside share one pool connection: one acquire and one release (asyncpg
    resets a released connection with a query of its own) instead of one per call."""
    if not on_pool():
        yield
        return
    async with pooled() as conn:
        token = _pinned.set(conn)
        try:
            yield
        finally:
            _pinned.reset(token)


def on_pool() -> bool:
    """Whether this task's queries each take a pool connection: there is a pool, and no
    transaction or `one_connection` holds one for the task."""
    return (
        ENGINE.pool is not None
        and _pinned.get() is None
        and ENGINE.current_transaction.get() is None
    )


def pinned_connection() -> asyncpg.Connection | None:
    """The connection `one_connection` holds for this task, if any."""
    return _pinned.get()


def in_transaction() -> bool:
    """Whether `db.fetch` would join a Piccolo transaction."""
    return ENGINE.current_transaction.get() is not None


async def ping() -> bool:
    """True when the database answers a trivial query within two seconds."""
    try:
        if ENGINE.pool is not None:
            async with asyncio.timeout(2):
                async with ENGINE.pool.acquire() as conn:
                    await conn.fetchval("SELECT 1")
            return True
        async with asyncio.timeout(2):
            conn = await asyncpg.connect(**ENGINE.config)
            try:
                await conn.fetchval("SELECT 1")
            finally:
                await conn.close()
        return True
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        return False
