"""Test databases: made fresh, emptied between tests, dropped; and settings pointed at one.

Used by tests/, e2e/ and bench/ (the benchmarks put the project root on sys.path)."""

from __future__ import annotations

import os

import asyncpg

from pengaduan import db
from pengaduan.settings import Settings, load_settings

APP_TABLES_SQL = """
SELECT string_agg(format('%I', tablename), ', ')
FROM pg_tables
WHERE schemaname = 'public' AND tablename NOT IN ('migration', 'queue_versions')
"""


async def recreate_database(server_dsn: str, name: str) -> str:
    """Drop and create database `name` on the server; return its address."""
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return db.with_database(server_dsn, name)


async def drop_database(server_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def truncate_all(dsn: str) -> None:
    """Empty every application table (the migration ledger stays).

    The queue versions stay too, and all grow by one: a server that keeps running across
    tests (e2e) must not take the next test's pages (same ids again) for ones it cached."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetchval(APP_TABLES_SQL)
        if tables:
            # A server left running (e2e) may still be writing (its outbox worker, a page's
            # last request): TRUNCATE locks table after table and can deadlock with it. The
            # server's side is the one to wait: try again.
            for attempt in range(5):
                try:
                    await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
                    break
                except asyncpg.DeadlockDetectedError:
                    if attempt == 4:
                        raise
            await conn.execute("UPDATE queue_versions SET version = version + 1")
    finally:
        await conn.close()


def settings_for(dsn: str, **overrides: str) -> Settings:
    """Development settings pointed at `dsn`, with the test run's data folder and cost."""
    env = {
        "PENGADUAN_MODE": "development",
        "PENGADUAN_DATA_DIR": os.environ.get("PENGADUAN_DATA_DIR", "var/test"),
        "PENGADUAN_BCRYPT_ROUNDS": os.environ.get("PENGADUAN_BCRYPT_ROUNDS", "4"),
        "DATABASE_URL": dsn,
    }
    env.update(overrides)
    return load_settings(env)


async def fetch_rows(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    """`sql` on a connection of its own, outside the app's pool and transactions: what another
    client of the database sees."""
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()
